"""Users, session rows and their tokens, written straight into a deployment's database.

Throughput is measured on the system clock (with ``APP_TEST_CLOCK`` every request reads
the deployment's clock from the database), so tokens of any age are minted offline:
:class:`Minter` inserts the rows a login inserts (the same columns as
``app.auth.session_store.start_session``) and encrypts their claims with the deployment's own key
set (``<data_dir>/keys.json``, created here before the server starts), issued ``age``
seconds ago: 0 for tier 1, past the access window for tier 2, past the token lifetime
(inside the session's) for tier 3. SQLite or PostgreSQL, through a synchronous
SQLAlchemy engine (psycopg for PostgreSQL).

:func:`migrated` brings a new SQLite file to the schema (the app's own Alembic
migrations); :func:`fill` bulk-loads filler sessions into one (random hashes; indexes
dropped, ``executemany``, indexes rebuilt: faster than five B-trees row by row).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.security.keys import load_or_create_keyset
from app.security.tokens import TokenClaims, TokenCodec
from app.shared.addresses import email_key

__all__ = ["Minter", "fill", "migrated", "sqlite_url"]

_INSERT_USER = sqlalchemy.text(
    "INSERT INTO users (email, email_key, password_hash, created_at, email_verified_at)"
    " VALUES (:email, :email_key, :password_hash, :created_at, NULL)"
)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'app.db'}"


def migrated(url: str) -> str:
    """Bring the database at ``url`` (the app's async URL) to head; returns the URL."""

    async def run() -> None:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return url


def _session_row(
    user_id: int, *, secret_hash: str, started: int, expires: int, absolute: int, agent: str
) -> dict[str, object]:
    """A session row as a password sign-in writes it (``auth_time`` and ``amr``, how it was
    proved, are left out where the schema has no such columns)."""
    return {
        "public_id": secrets.token_urlsafe(16),
        "user_id": user_id,
        "secret_hash": secret_hash,
        "created_at": started,
        "rotated_at": started,
        "expires_at": expires,
        "absolute_expires_at": absolute,
        "user_agent": agent,
        "client_addr": "127.0.0.0/24",
        "auth_time": started,
        "amr": "pwd",
    }


def _insert(columns: set[str], row: dict[str, object], mark: str) -> tuple[str, list[str]]:
    """``INSERT INTO sessions`` of the row's fields the table has (``mark``: ``:`` for
    named parameters, ``?`` for positional); the names in order."""
    names = [name for name in row if name in columns]
    values = ", ".join(f":{n}" if mark == ":" else "?" for n in names)
    sql = f"INSERT INTO sessions ({', '.join(names)}) VALUES ({values})"  # noqa: S608 (fixed names)
    return sql, names


def _sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


class Minter:
    """Sessions of users of one deployment, and tokens for them of any age."""

    def __init__(self, url: str, data_dir: Path, settings: Settings | None = None) -> None:
        self._engine = sqlalchemy.create_engine(_sync_url(url), poolclass=sqlalchemy.NullPool)
        keys = load_or_create_keyset(data_dir / "keys.json", int(time.time()))
        self._codec = TokenCodec(keys)
        self.settings = settings or Settings()
        columns = sqlalchemy.inspect(self._engine).get_columns("sessions")
        self._columns = {c["name"] for c in columns}

    def close(self) -> None:
        self._engine.dispose()

    def add_user(self, email: str, now: int | None = None) -> int:
        now = int(time.time()) if now is None else now
        with self._engine.begin() as connection:
            connection.execute(
                _INSERT_USER,
                {
                    "email": email,
                    "email_key": email_key(email),
                    "password_hash": "$argon2id$not-a-password",
                    "created_at": now,
                },
            )
            found = connection.execute(
                sqlalchemy.text("SELECT id FROM users WHERE email_key = :key"),
                {"key": email_key(email)},
            ).scalar_one()
        return int(found)

    def mint(
        self, user_id: int, email: str, count: int, *, age: int, now: int | None = None
    ) -> list[str]:
        """``count`` new sessions of the user and a token for each, issued ``age`` seconds
        before ``now`` (the session started then too), with the lifetimes of the settings."""
        now = int(time.time()) if now is None else now
        started = now - age
        s = self.settings
        absolute = started + s.session_max_age
        expires = min(started + s.session_ttl, absolute)  # the session's idle expiry
        token_expires = min(started + s.token_ttl, expires)
        rows, tokens = [], []
        for _ in range(count):
            secret = secrets.token_urlsafe(32)
            digest = hashlib.sha256(secret.encode()).hexdigest()
            row = _session_row(
                user_id, secret_hash=digest, started=started, expires=expires, absolute=absolute,
                agent="wrk",
            )  # fmt: skip
            rows.append(row)
            # The wire format: a claim the app adds later gets the default an old token gets.
            claims = {"sub": str(user_id), "email": email, "sid": row["public_id"], "rt": secret}
            claims |= {"sat": started, "iat": started, "exp": token_expires, "sxp": expires}
            claims["aex"] = min(started + s.access_ttl, token_expires)
            tokens.append(self._codec.encode(TokenClaims.from_claims(claims)))
        sql, _ = _insert(self._columns, rows[0], ":") if rows else ("", [])
        with self._engine.begin() as connection:
            for start in range(0, len(rows), 5000):
                connection.execute(sqlalchemy.text(sql), rows[start : start + 5000])
        return tokens

    def tier1(self, user_id: int, email: str, count: int = 1) -> list[str]:
        return self.mint(user_id, email, count, age=0)

    def tier2(self, user_id: int, email: str, count: int = 1) -> list[str]:
        """Past the access window (by a minute), inside the token lifetime."""
        return self.mint(user_id, email, count, age=self.settings.access_ttl + 60)

    def tier3(self, user_id: int, email: str, count: int = 1) -> list[str]:
        """Past the token lifetime (by a minute), inside the session's: each rotates."""
        return self.mint(user_id, email, count, age=self.settings.token_ttl + 60)

    def count_sessions(self) -> int:
        with self._engine.connect() as connection:
            return int(
                connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM sessions")).scalar_one()
            )


def fill(db_path: Path, rows: int, *, user_id: int, now: int) -> float:
    """Add ``rows`` filler sessions (random hashes, live) to a SQLite file. Returns the
    seconds it took."""
    begun = time.perf_counter()
    day = 86400
    with closing(sqlite3.connect(db_path)) as connection:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index builds
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions'"
            " AND sql IS NOT NULL"
        ).fetchall()
        columns = {c[1] for c in connection.execute("PRAGMA table_info(sessions)")}
        shape = _session_row(
            user_id, secret_hash="", started=now - day, expires=now + 13 * day,
            absolute=now + 29 * day, agent="filler",
        )  # fmt: skip
        sql, names = _insert(columns, shape, "?")

        def filler() -> tuple[object, ...]:
            row = shape | {
                "public_id": os.urandom(16).hex()[:22],
                "secret_hash": os.urandom(32).hex(),
            }
            return tuple(row[n] for n in names)

        with connection:
            for name, _ in indexes:
                connection.execute(f'DROP INDEX "{name}"')
            batch = 100_000
            for start in range(0, rows, batch):
                connection.executemany(sql, (filler() for _ in range(min(batch, rows - start))))
            for _, sql_index in indexes:
                connection.execute(sql_index)
        connection.execute("PRAGMA journal_mode=WAL")
    return time.perf_counter() - begun
