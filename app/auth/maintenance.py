"""Housekeeping: delete sessions past their lifetimes and old activity, in batches."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import repository
from app.clock import Clock

__all__ = ["PurgeResult", "Purger"]

log = structlog.get_logger("maintenance")


@dataclass(frozen=True, slots=True)
class PurgeResult:
    sessions: int
    events: int


class Purger:
    def __init__(
        self,
        *,
        db: async_sessionmaker[AsyncSession],
        clock: Clock,
        event_retention: int,
        store: Store | None = None,
        batch: int = 1000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._event_retention = event_retention
        self._batch = batch
        self._store = store

    async def purge(self) -> PurgeResult:
        now = self._clock.now()
        sessions = events = 0
        while True:  # short transactions: the guard's rotations never wait long
            async with self._db() as db, db.begin():
                deleted = await repository.purge_expired_sessions(db, now, self._batch)
            sessions += deleted
            if deleted < self._batch:
                break
        while True:
            async with self._db() as db, db.begin():
                deleted = await repository.purge_events_before(
                    db, now - self._event_retention, self._batch
                )
            events += deleted
            if deleted < self._batch:
                break
        if isinstance(self._store, MemoryStore):
            # Litestar's memory store forgets an expired entry only when it is read again;
            # grace tokens and throttle windows are mostly never read again.
            await self._store.delete_expired()
        if sessions or events:
            log.info("purged", sessions=sessions, events=events)
        return PurgeResult(sessions=sessions, events=events)

    async def run_every(self, seconds: int) -> None:
        """Purge every ``seconds`` (scheduling only: what is expired is judged by the clock)."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.purge()
            except Exception:  # a failed round is logged and retried at the next one
                log.exception("purge_failed")
