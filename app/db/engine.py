"""The async engine: pool sizes from the settings, SQLite tuned for several processes.

Every wait on the database is bounded by ``APP_DB_TIMEOUT`` (``timeout``): connecting,
each statement, and waiting for a pooled connection (PostgreSQL: asyncpg's connect
``timeout`` and ``command_timeout``, the pool's ``pool_timeout``; SQLite: the busy
timeout). What a timeout raises is classified in :mod:`app.db.database`.

SQLite: WAL (readers never wait for the writer), a busy timeout (writers queue instead
of failing, for at most ``timeout``), foreign keys on, and the driver's own transaction
handling turned off so that this module emits ``BEGIN``: ``DEFERRED`` for reads,
``IMMEDIATE`` for writes (:class:`app.db.database.Database`), so a write transaction
holds the write lock from its first statement and never fails half-way when another
process wrote first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.db import models  # noqa: F401  (registers the tables on SQLModel.metadata)

__all__ = ["SQLITE_BEGIN", "create_engine", "sqlite_path"]

SQLITE_BEGIN = "sqlite_begin"  # execution option: DEFERRED (default) or IMMEDIATE


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in {None, "", ":memory:"}:
        return None
    return Path(str(parsed.database))


def create_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, timeout: float = 5.0
) -> AsyncEngine:
    # hide_parameters: a database error logged never carries an email or a password hash.
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        bounded = (
            {"timeout": timeout, "command_timeout": timeout}
            if parsed.get_driver_name() == "asyncpg"
            else {}
        )
        return create_async_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=timeout,
            connect_args=bounded,
            hide_parameters=True,
        )
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Password hashes and the activity log: owner-only, like the keys. SQLite gives
        # its -wal and -shm files the database file's mode.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    pooled: dict[str, Any] = {"pool_timeout": timeout} if path is not None else {}
    engine = create_async_engine(
        url, connect_args={"timeout": timeout}, hide_parameters=True, **pooled
    )
    busy_ms = max(1, round(timeout * 1000))

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is ours (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine
