"""Reads and writes: the one way the app opens a database transaction.

``async with db.write() as tx`` is one transaction; whatever must happen *because* it
committed (telling other processes of a revocation, waking the mail sender) is
registered with ``tx.after_commit(...)`` and runs only once the commit succeeded, so
nothing outside the database ever hears of a change that was rolled back.

On SQLite one process writes at a time (an ``asyncio.Lock``, then ``BEGIN IMMEDIATE``):
concurrent writers queue in order instead of sleeping in SQLite's busy handler.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import SQLITE_BEGIN

__all__ = ["Database", "Tx"]

log = structlog.get_logger("app.db")

AfterCommit = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Tx:
    """One write transaction: its session, and what to do once it has committed."""

    session: AsyncSession
    _after: list[AfterCommit] = field(default_factory=list)

    def after_commit(self, hook: AfterCommit) -> None:
        self._after.append(hook)


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._reads = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        writer = (
            engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) if self.is_sqlite else engine
        )
        self._writes = async_sessionmaker(writer, class_=AsyncSession, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reads() as session:
            yield session

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with self._one_writer(), self._writes() as session, session.begin():
            tx = Tx(session)
            yield tx
        for hook in tx._after:
            try:
                await hook()
            except Exception:  # the change is committed; its announcement is best effort
                log.exception("after_commit_failed")

    @contextlib.asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def dispose(self) -> None:
        await self.engine.dispose()
