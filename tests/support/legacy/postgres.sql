-- The schema the first release made with create_all (postgres), before migrations.
-- Frozen: generated once from that release's app/db/models.py (commit 74d7e16).

CREATE TABLE auth_events (
	id SERIAL NOT NULL, 
	created_at BIGINT NOT NULL, 
	user_id INTEGER, 
	session_public_id VARCHAR(43), 
	kind VARCHAR(32) NOT NULL, 
	client_addr VARCHAR(64) NOT NULL, 
	user_agent VARCHAR(512) NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_auth_events_created_at ON auth_events (created_at);

CREATE INDEX ix_auth_events_kind ON auth_events (kind);

CREATE INDEX ix_auth_events_session_public_id ON auth_events (session_public_id);

CREATE INDEX ix_auth_events_user_id ON auth_events (user_id);

CREATE TABLE users (
	id SERIAL NOT NULL, 
	email VARCHAR(254) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	created_at BIGINT NOT NULL, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_users_email ON users (email);

CREATE TABLE sessions (
	id SERIAL NOT NULL, 
	public_id VARCHAR(43) NOT NULL, 
	user_id INTEGER NOT NULL, 
	secret_hash VARCHAR(64) NOT NULL, 
	previous_secret_hash VARCHAR(64), 
	created_at BIGINT NOT NULL, 
	rotated_at BIGINT NOT NULL, 
	expires_at BIGINT NOT NULL, 
	absolute_expires_at BIGINT NOT NULL, 
	user_agent VARCHAR(512) NOT NULL, 
	client_addr VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);

CREATE INDEX ix_sessions_previous_secret_hash ON sessions (previous_secret_hash);

CREATE UNIQUE INDEX ix_sessions_public_id ON sessions (public_id);

CREATE UNIQUE INDEX ix_sessions_secret_hash ON sessions (secret_hash);

CREATE INDEX ix_sessions_user_id ON sessions (user_id);
