"""The denylist: sessions ended before their tokens expired, enforced by every process.

- **Source of truth**: the ``revocations`` table, written by :mod:`app.auth.session_store` in
  the same transaction as the session row change. Its ``id`` is a sequence.
- **What the guard reads**: :class:`Mirror`, this process's copy, a dict lookup with no
  I/O on any request.
- **How a change reaches it**: this process's own commits at once (after the commit);
  other processes by push (PostgreSQL ``LISTEN/NOTIFY`` or Redis pub/sub,
  :mod:`app.auth.channels`) and, always, by catch-up: every ``APP_REVOCATION_POLL`` a
  query for ``id > last seen`` (plus ids skipped by transactions still open, which may
  commit later), which is also what proves the mirror current.
- **When that fails**: after ``APP_REVOCATION_MAX_LAG`` without a successful catch-up the
  mirror says it is not current, and the guard reads the session row on every request
  (tier 3 semantics) until it is again: slower, never wrong.

An entry is kept until the last moment any token of its session could still be served
(``revoked_at + APP_TOKEN_TTL``); past that the session row's absence says enough.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from sqlalchemy import delete, insert, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.clock import Clock
from app.db.database import Database, Tx, is_unavailable, unavailable_cause
from app.db.models import Revocation

__all__ = ["Channel", "Entry", "Mirror", "Revocations"]

log = structlog.get_logger("app.revocations")

GAP_PATIENCE = 30.0  # seconds an id skipped by an open transaction is still looked for
MAX_GAP_SPAN = 10_000  # a larger jump is not a transaction still open


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    session_id: str
    until: int


class Channel(Protocol):
    """A push path between processes (optional: the catch-up poll alone is correct)."""

    async def in_transaction(self, tx: Tx, entries: Sequence[Entry]) -> None: ...
    async def after_commit(self, entries: Sequence[Entry]) -> None: ...
    async def listen(self, deliver: Callable[[Sequence[Entry]], None]) -> None: ...


class Mirror:
    """This process's copy of the table."""

    def __init__(self, *, max_lag: float, monotonic: Callable[[], float] = time.monotonic):
        self._until: dict[str, int] = {}
        self._gaps: dict[int, float] = {}
        self._confirmed_at: float | None = None
        self._max_lag = max_lag
        self._monotonic = monotonic
        self.after = 0  # every id up to here was seen, or is a gap being looked for

    def is_revoked(self, session_id: str, now: int) -> bool:
        until = self._until.get(session_id)
        return until is not None and now < until

    def is_current(self) -> bool:
        confirmed = self._confirmed_at
        return confirmed is not None and self._monotonic() - confirmed <= self._max_lag

    @property
    def gaps(self) -> list[int]:
        return sorted(self._gaps)

    def add(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            if entry.until > self._until.get(entry.session_id, 0):
                self._until[entry.session_id] = entry.until

    def caught_up(self, entries: Sequence[Entry], *, started_at: float) -> None:
        """A catch-up that began at ``started_at`` returned ``entries`` (every row with an
        id past :attr:`after`, and any of the gaps that have committed since)."""
        self.add(entries)
        seen = {entry.id for entry in entries}
        top = max(seen, default=self.after)
        if top - self.after <= MAX_GAP_SPAN:
            for missing in range(self.after + 1, top + 1):
                if missing not in seen:
                    self._gaps.setdefault(missing, started_at)
        self._gaps = {
            gap: since
            for gap, since in self._gaps.items()
            if gap not in seen and started_at - since < GAP_PATIENCE
        }
        self.after = max(self.after, top)
        self._confirmed_at = started_at

    def forget(self, now: int) -> None:
        """Drop entries no token can outlive any more."""
        expired = [sid for sid, until in self._until.items() if until <= now]
        for session_id in expired:
            del self._until[session_id]


class Revocations:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        ttl: int,
        poll: float,
        max_lag: float,
        channel: Channel | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl  # the token lifetime: no token of a revoked session outlives it
        self._poll = poll
        self._channel = channel
        self.mirror = Mirror(max_lag=max_lag)
        self._failing = False

    @property
    def channel(self) -> Channel | None:
        return self._channel

    def is_revoked(self, session_id: str, now: int) -> bool:
        return self.mirror.is_revoked(session_id, now)

    def is_current(self) -> bool:
        return self.mirror.is_current()

    async def record(self, tx: Tx, session_ids: Sequence[str], now: int) -> None:
        """Revoke these sessions in ``tx``; every process learns of it once it commits."""
        if not session_ids:
            return
        entries = await _insert(tx.session, session_ids, now, now + self._ttl)
        if self._channel is not None:
            await self._channel.in_transaction(tx, entries)

        async def committed() -> None:
            self.mirror.add(entries)
            if self._channel is not None:
                await self._channel.after_commit(entries)

        tx.after_commit(committed)

    async def catch_up(self) -> None:
        started_at = time.monotonic()
        now = self._clock.now()
        async with self._db.read() as db:
            entries = await _since(db, self.mirror.after, self.mirror.gaps)
        self.mirror.caught_up(entries, started_at=started_at)
        self.mirror.forget(now)

    async def run(self) -> None:
        """Keep the mirror current until cancelled: the push channel, and the catch-up."""
        listener = (
            asyncio.create_task(self._channel.listen(self.mirror.add))
            if self._channel is not None
            else None
        )
        try:
            while True:
                await asyncio.sleep(self._poll)
                await self._catch_up_logged()
        finally:
            if listener is not None:
                listener.cancel()

    async def _catch_up_logged(self) -> None:
        try:
            await self.catch_up()
        except Exception as error:  # a broken round is retried at the next one
            if not self._failing:  # one line per outage, not one per round (4 a second)
                if is_unavailable(error):
                    log.warning("revocation_catch_up_failed", error=unavailable_cause(error))
                else:
                    log.exception("revocation_catch_up_failed")
            self._failing = True
            return
        if self._failing:
            log.info("revocation_catch_up_recovered")
        self._failing = False


async def _insert(
    db: AsyncSession, session_ids: Sequence[str], now: int, until: int
) -> list[Entry]:
    result = await db.exec(
        insert(Revocation)
        .values([{"session_public_id": s, "revoked_at": now, "until": until} for s in session_ids])
        .returning(col(Revocation.id), col(Revocation.session_public_id))
    )
    return [Entry(id=row[0], session_id=row[1], until=until) for row in result.all()]


async def _since(db: AsyncSession, after: int, gaps: Sequence[int]) -> list[Entry]:
    condition = col(Revocation.id) > after
    if gaps:
        condition = or_(condition, col(Revocation.id).in_(list(gaps)))
    result = await db.exec(
        select(col(Revocation.id), col(Revocation.session_public_id), col(Revocation.until))
        .where(condition)
        .order_by(col(Revocation.id))
    )
    return [Entry(id=i, session_id=s, until=u) for i, s, u in result.all() if i is not None]


async def purge(db: AsyncSession, now: int) -> int:
    result = await db.exec(delete(Revocation).where(col(Revocation.until) <= now))
    return int(getattr(result, "rowcount", 0) or 0)
