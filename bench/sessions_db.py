"""Session rows written straight into the app's SQLite file, and their tier-3 tokens.

A tier-3 request rotates its session, so a stream of them needs a fresh session each.
Logging in thousands of times would measure argon2, so :class:`SessionMinter` writes
the rows that a login writes (the same columns as ``AuthService._start_session``) with
SQL and encrypts their tokens with the server's own key set, as issued one token
lifetime ago: past ``exp``, inside the session's idle and absolute lifetimes.

:func:`fill` bulk-loads filler rows (random hashes) to give the table a size: indexes
are dropped, rows inserted with ``executemany``, indexes rebuilt (faster than
inserting into five B-trees row by row).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import SQLModel

from app.auth.lifetimes import Policy, mint, session_expiry
from app.config import Settings
from app.db import models  # noqa: F401  (the tables)
from app.security.keys import load_or_create_keyset
from app.security.tokens import TokenCodec

__all__ = ["SessionMinter", "create_schema", "fill", "policy_of"]

_INSERT_SESSION = (
    "INSERT INTO sessions (public_id, user_id, secret_hash, previous_secret_hash, created_at,"
    " rotated_at, expires_at, absolute_expires_at, user_agent, client_addr)"
    " VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)"
)


def policy_of(settings: Settings) -> Policy:
    return Policy(
        access_ttl=settings.access_ttl,
        token_ttl=settings.token_ttl,
        session_ttl=settings.session_ttl,
        session_max_age=settings.session_max_age,
        rotation_grace=settings.rotation_grace,
    )


def create_schema(db_path: Path) -> None:
    """The app's tables, as its start-up would create them."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()


def _connect(db_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(db_path, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


class SessionMinter:
    """Sessions of one user, with tokens already past their lifetime (tier 3)."""

    def __init__(self, data_dir: Path, settings: Settings, *, user_id: int, email: str) -> None:
        self._db = data_dir / "app.db"
        self._codec = TokenCodec(load_or_create_keyset(data_dir / "keys.json", int(time.time())))
        self._policy = policy_of(settings)
        self._user_id = user_id
        self._email = email

    def mint(self, count: int, now: int, *, age: int | None = None) -> list[str]:
        """``count`` new sessions and a token for each, issued ``age`` seconds before ``now``:
        by default one token lifetime and a minute, so each is due for rotation (tier 3)."""
        started = now - (self._policy.token_ttl + 60 if age is None else age)
        absolute = started + self._policy.session_max_age
        expires = session_expiry(started, absolute, self._policy)
        rows, tokens = [], []
        for _ in range(count):
            secret = secrets.token_urlsafe(32)
            public_id = secrets.token_urlsafe(16)
            rows.append(
                (
                    public_id,
                    self._user_id,
                    hashlib.sha256(secret.encode()).hexdigest(),
                    started,
                    started,
                    expires,
                    absolute,
                    "wrk",
                    "127.0.0.0/24",
                )
            )
            claims = mint(
                user_id=self._user_id,
                email=self._email,
                session_id=public_id,
                secret=secret,
                session_started_at=started,
                session_expires_at=expires,
                now=started,
                policy=self._policy,
            )
            tokens.append(self._codec.encode(claims))
        with closing(_connect(self._db)) as connection, connection:
            connection.executemany(_INSERT_SESSION, rows)
        return tokens


def add_user(db_path: Path, email: str, now: int) -> int:
    with closing(_connect(db_path)) as connection, connection:
        cursor = connection.execute(
            "INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)",
            (email, "$argon2id$not-a-password", now),
        )
        return int(cursor.lastrowid or 0)


def fill(db_path: Path, rows: int, *, user_id: int, now: int) -> float:
    """Add ``rows`` filler sessions (random hashes, live). Returns the seconds it took."""
    begun = time.perf_counter()
    day = 86400
    with closing(sqlite3.connect(db_path)) as connection:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB for the index builds
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions'"
            " AND sql IS NOT NULL"
        ).fetchall()
        with connection:
            for name, _ in indexes:
                connection.execute(f'DROP INDEX "{name}"')
            batch = 100_000
            for start in range(0, rows, batch):
                connection.executemany(
                    _INSERT_SESSION,
                    (
                        (
                            os.urandom(16).hex()[:22],
                            user_id,
                            os.urandom(32).hex(),
                            now - day,
                            now - day,
                            now + 13 * day,
                            now + 29 * day,
                            "filler",
                            "127.0.0.0/24",
                        )
                        for _ in range(min(batch, rows - start))
                    ),
                )
            for _, sql in indexes:
                connection.execute(sql)
        connection.execute("PRAGMA journal_mode=WAL")
    return time.perf_counter() - begun
