"""A lock that every process of the deployment respects: for work that must run once.

PostgreSQL: an advisory lock (``pg_advisory_lock`` / ``pg_try_advisory_lock``), held by
one connection for as long as the block runs (the block may use that connection).
SQLite (one host): ``flock`` on a file beside the database. In-memory SQLite has one
process: nothing to lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db.engine import sqlite_path

__all__ = ["exclusive"]


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.asynccontextmanager
async def exclusive(
    engine: AsyncEngine, name: str, *, wait: bool = True
) -> AsyncIterator[tuple[bool, AsyncConnection | None]]:
    """Hold the deployment-wide lock ``name``: (acquired, the connection holding it on
    PostgreSQL). Not acquired only when ``wait`` is off and another process holds it."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            key = {"key": _key(name)}
            if wait:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
                acquired = True
            else:
                result = await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key)
                acquired = bool(result.scalar())
            await connection.commit()
            try:
                yield acquired, connection
            finally:
                if acquired:
                    await connection.rollback()
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                    await connection.commit()
        return
    path = sqlite_path(str(engine.url))
    if path is None:
        yield True, None
        return
    async with _file_lock(path.with_name(f"{path.name}.{name}.lock"), wait=wait) as acquired:
        yield acquired, None


@contextlib.asynccontextmanager
async def _file_lock(path: Path, *, wait: bool) -> AsyncIterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            await anyio.to_thread.run_sync(fcntl.flock, fd, flags)
            acquired = True
        except BlockingIOError:
            acquired = False
        try:
            yield acquired
        finally:
            if acquired:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
