"""Housekeeping: delete what no rule needs any more, in short batches, once per deployment
(a lock: N workers do not all purge): expired sessions, old activity, ended revocations,
stale throttle counts, used or expired links, and delivered or given-up mail older than one
mail window (the mail limits count mails, not these rows; the row is the record of what
was sent, kept as long as that window)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import email_tokens, passkeys, repository, revocations
from app.clock import Clock
from app.db.database import Database, is_unavailable, unavailable_cause
from app.db.locks import exclusive
from app.mail import outbox
from app.shared import throttle

__all__ = ["PurgeResult", "Purger"]

log = structlog.get_logger("app.maintenance")


@dataclass(frozen=True, slots=True)
class PurgeResult:
    sessions: int
    events: int
    revocations: int = 0
    throttles: int = 0
    links: int = 0  # used or expired links
    mails: int = 0  # delivered or given-up outbox rows older than the mail window
    skipped: bool = False  # another process was purging


class Purger:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        event_retention: int,
        mail_window: int,
        throttle_window: int = 0,
        batch: int = 1000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._event_retention = event_retention
        self._throttle_window = throttle_window  # the longest throttle window in use
        self._mail_window = mail_window  # how long the record of a sent mail is kept
        self._batch = batch

    async def purge(self) -> PurgeResult:
        async with exclusive(self._db.engine, "purge", wait=False) as (acquired, _):
            if not acquired:
                return PurgeResult(sessions=0, events=0, skipped=True)
            return await self._purge()

    async def _purge(self) -> PurgeResult:
        now = self._clock.now()
        sessions = await self._in_batches(
            lambda db: repository.purge_expired_sessions(db, now, self._batch)
        )
        events = await self._in_batches(
            lambda db: repository.purge_events_before(db, now - self._event_retention, self._batch)
        )
        async with self._db.write() as tx:
            ended = await revocations.purge(tx.session, now)
        counts = await throttle.purge(self._db, now - self._throttle_window)
        async with self._db.write() as tx:
            links = await email_tokens.purge(tx.session, now)
            await passkeys.purge_challenges(tx.session, now)
        mails = await outbox.purge(self._db, now - self._mail_window)
        result = PurgeResult(
            sessions=sessions,
            events=events,
            revocations=ended,
            throttles=counts,
            links=links,
            mails=mails,
        )
        counted = {k: v for k, v in dataclasses.asdict(result).items() if k != "skipped"}
        if any(counted.values()):
            log.info("purged", **counted)
        return result

    async def _in_batches(self, step: Callable[[AsyncSession], Awaitable[int]]) -> int:
        total = 0
        while True:  # short transactions: the guard's rotations never wait long
            async with self._db.write() as tx:
                deleted = await step(tx.session)
            total += deleted
            if deleted < self._batch:
                return total

    async def run_every(self, seconds: int) -> None:
        """Purge every ``seconds`` (scheduling only: what is expired is judged by the clock)."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.purge()
            except Exception as error:  # a failed round is logged and retried at the next one
                if is_unavailable(error):  # the database is down or slow: one line
                    log.warning("purge_failed", error=unavailable_cause(error))
                else:
                    log.exception("purge_failed")
