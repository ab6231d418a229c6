"""Tables. Times are integer UTC seconds; secrets are stored only as SHA-256 hex digests.

The same models run on SQLite (the embedded default) and PostgreSQL; the schema is made
by the Alembic migrations in ``app/db/migrations`` (a test checks they produce exactly
these models).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "AuthEvent",
    "Authenticator",
    "EmailToken",
    "NotMeLink",
    "OutboxMail",
    "Revocation",
    "Session",
    "TestClockRow",
    "ThrottleBucket",
    "User",
    "WebAuthnChallenge",
]


def _time(*, index: bool = False, nullable: bool = False) -> int:
    # BIGINT: epoch seconds outgrow a 32-bit INTEGER on PostgreSQL in 2038.
    return Field(sa_column=Column(BigInteger, index=index, nullable=nullable))  # type: ignore[no-any-return]


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)  # as shown (NFKC, lower-case)
    email_key: str = Field(max_length=254, unique=True, index=True)  # NFKC + case-folded
    password_hash: str = Field(max_length=255)
    created_at: int = _time()
    email_verified_at: int | None = _time(nullable=True)
    # Disabled by an operator (``python -m app users disable``): no sign-in, no link, no
    # mail but the notice that says so; None while the account is usable.
    disabled_at: int | None = _time(nullable=True)
    disabled_reason: str | None = Field(default=None, max_length=255)


class Session(SQLModel, table=True):
    """A long-lived login. ``secret_hash`` is the SHA-256 of the refresh secret (the seed's
    "sessionid"); ``public_id`` names the session (its family) and never changes."""

    __tablename__ = "sessions"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=43, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    secret_hash: str = Field(max_length=64, unique=True, index=True)
    previous_secret_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: int = _time()
    rotated_at: int = _time()
    expires_at: int = _time(index=True)
    absolute_expires_at: int = _time()
    user_agent: str = Field(default="", max_length=512)
    client_addr: str = Field(default="", max_length=64)
    # How and when the person last proved who they are on this session (the token's
    # ``auth_time`` and ``amr``; ``amr`` space-separated RFC 8176 names).
    auth_time: int = _time()
    amr: str = Field(default="pwd", max_length=64)


class AuthEvent(SQLModel, table=True):
    """The activity log: who did what, when, from where. Never a secret."""

    __tablename__ = "auth_events"

    id: int | None = Field(default=None, primary_key=True)
    created_at: int = _time(index=True)
    user_id: int | None = Field(default=None, index=True)
    session_public_id: str | None = Field(default=None, max_length=43, index=True)
    kind: str = Field(max_length=32, index=True)
    client_addr: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=512)


class Revocation(SQLModel, table=True):
    """A session ended before its tokens expired. Written in the same transaction as the
    session row change; ``id`` is the sequence every process's denylist mirror follows."""

    __tablename__ = "revocations"

    id: int | None = Field(default=None, primary_key=True)
    session_public_id: str = Field(max_length=43)
    revoked_at: int = _time()
    until: int = _time(index=True)  # no token of the session outlives this


class ThrottleBucket(SQLModel, table=True):
    """The recent attempts of one throttled key (``name:key``), newest last."""

    __tablename__ = "throttle_buckets"

    key: str = Field(primary_key=True, max_length=320)
    hits: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of times
    last_at: int = _time(index=True)


class TestClockRow(SQLModel, table=True):
    """With ``APP_TEST_CLOCK``: the one "now" of the whole deployment (a single row)."""

    __tablename__ = "test_clock"
    __test__ = False  # not a pytest test class

    id: int = Field(default=1, primary_key=True)
    now: int = _time()


class EmailToken(SQLModel, table=True):
    """A link sent by mail (password reset, address check, address change). Only the
    token's SHA-256 is stored; it works once, until ``expires_at``."""

    __tablename__ = "email_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=16)
    address: str = Field(max_length=254)  # the address it was sent to (and vouches for)
    created_at: int = _time()
    expires_at: int = _time(index=True)
    used_at: int | None = _time(nullable=True)


class OutboxMail(SQLModel, table=True):
    """The transactional outbox: a mail is written in the same transaction as what it is
    about, and delivered afterwards by the sender (``app.mail.outbox``). Its body, which
    may hold a secret link, is dropped once it is delivered (or given up)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    created_at: int = _time(index=True)
    kind: str = Field(max_length=32)
    to_address: str = Field(max_length=254)
    user_id: int | None = Field(default=None, index=True)
    subject: str = Field(default="", max_length=255)
    body_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    message_id: str = Field(default="", max_length=255)
    status: str = Field(max_length=16, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: int = _time(index=True)
    lease_until: int | None = _time(nullable=True)
    sent_at: int | None = _time(nullable=True)
    last_error: str | None = Field(default=None, max_length=255)


class Authenticator(SQLModel, table=True):
    """One way an account proves who it is besides its password (django-allauth's
    ``Authenticator(type, data)``): the authenticator app (``totp``, or ``totp-setup``
    until its first code), the recovery codes, each passkey. ``slot`` is what it occupies
    and makes it unique: ``totp:<user id>`` (one app per account), ``recovery-codes:<user
    id>``, ``passkey:<credential id>``. ``data`` is JSON; every secret in it is sealed with
    the deployment's keys (``app.security.sealing``) or only a digest."""

    __tablename__ = "authenticators"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    slot: str = Field(max_length=320, unique=True, index=True)
    data: str = Field(sa_column=Column(Text, nullable=False))
    created_at: int = _time()
    last_used_at: int | None = _time(nullable=True)


class WebAuthnChallenge(SQLModel, table=True):
    """A passkey ceremony's challenge, until it is used (once) or expires: only its
    SHA-256, and what it is for (``register``, ``sign-in``, ``reauth``) and for whom."""

    __tablename__ = "webauthn_challenges"

    digest: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=16)
    # Whose ceremony (adding a passkey, confirming it's you); none for a sign-in. Goes with
    # the account.
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    expires_at: int = _time(index=True)


class NotMeLink(SQLModel, table=True):
    """What the "not me" link of a new-device alert is about: the sign-in (its session)
    and how it looked. The link itself is an ``EmailToken`` (purpose ``not_me``); this row
    goes with it."""

    __tablename__ = "not_me_links"

    token_hash: str = Field(
        primary_key=True, max_length=64, foreign_key="email_tokens.token_hash", ondelete="CASCADE"
    )
    session_public_id: str = Field(max_length=43)
    signed_in_at: int = _time()
    user_agent: str = Field(default="", max_length=512)
    client_addr: str = Field(default="", max_length=64)
