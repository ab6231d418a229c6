"""The denylist: sessions ended before their tokens expired, enforced by every process.

- **Source of truth**: the ``revocations`` table, written by :mod:`app.auth.session_store` in
  the same transaction as the session row change. Its ``id`` is a sequence.
- **What the guard reads**: :class:`Mirror`, this process's copy, with no I/O on any
  request: a dict lookup (entries added since start-up or the last compaction) and a
  bisection in flat sorted arrays (the rest: 32 bytes an entry, so a busy day's 10^6
  cost a worker tens of MiB, not hundreds), loaded by one streamed query at start-up.
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
import ctypes
import time
from array import array
from bisect import bisect_left
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

__all__ = ["Channel", "Entry", "Loader", "Mirror", "Revocations"]

log = structlog.get_logger("app.revocations")

GAP_PATIENCE = 30.0  # seconds an id skipped by an open transaction is still looked for
MAX_GAP_SPAN = 10_000  # a larger jump is not a transaction still open
COMPACT_AFTER = 4096  # recent entries held in the dict before the base takes them in
STREAM_ROWS = 10_000  # rows per fetch when a catch-up streams (start-up)
TRIM_AFTER = 100_000  # entries loaded at start-up past which freed heap is handed back


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


def _key(session_id: str) -> int | None:
    """A session id in the app's format (``token_urlsafe(16)``: 22 ASCII characters) as
    one 176-bit number (its bytes, exactly: no decoding to get wrong), or None for any
    other string."""
    if len(session_id) != 22 or not session_id.isascii():
        return None
    return int.from_bytes(session_id.encode())


_LOW = (1 << 64) - 1
_LAST = (1 << 48) - 1  # the last 6 bytes


class _Sorted:
    """Revocations as four flat arrays sorted by session id (its 22 bytes as 8 + 8 + 6):
    32 bytes an entry, no Python object per entry; found by bisection, in C."""

    __slots__ = ("_ends", "_high", "_last", "_middle", "half_dead_at")

    def __init__(self, ends: dict[int, int] | None = None) -> None:
        keys = sorted(ends or ())
        self._high = array("Q", [k >> 112 for k in keys])
        self._middle = array("Q", [(k >> 48) & _LOW for k in keys])
        self._last = array("Q", [k & _LAST for k in keys])
        self._ends = array("q", [ends[k] for k in keys]) if ends else array("q")
        # When about half of these entries have ended (a sample's median): time to compact.
        sample = sorted(self._ends[:: max(1, len(self._ends) // 1024)])
        self.half_dead_at = sample[len(sample) // 2] if sample else 0

    def __len__(self) -> int:
        return len(self._ends)

    def until(self, key: int) -> int:
        high, middle, last = key >> 112, (key >> 48) & _LOW, key & _LAST
        index = bisect_left(self._high, high)
        while index < len(self._high) and self._high[index] == high:
            if self._middle[index] == middle and self._last[index] == last:
                return self._ends[index]
            index += 1
        return 0

    def live(self, now: int) -> dict[int, int]:
        return {
            (high << 112) | (middle << 48) | last: end
            for high, middle, last, end in zip(
                self._high, self._middle, self._last, self._ends, strict=True
            )
            if end > now
        }


def _compacted(base: _Sorted, recent: dict[str, int], loaded: dict[int, int], now: int) -> _Sorted:
    """A new base: the live entries of ``base``, ``loaded`` and ``recent`` (the later end
    wins). Pure: runs in a thread while the old base still answers."""
    if loaded and not len(base):  # start-up: the loaded entries are the base
        ends, more = loaded, [base.live(now)]
    else:
        ends, more = base.live(now), [loaded]
    more.append({k: u for s, u in recent.items() if (k := _key(s)) is not None})
    for entries in more:
        for key, until in entries.items():
            if until > now and until > ends.get(key, 0):
                ends[key] = until
    return _Sorted(ends)


class Loader:
    """A start-up catch-up's rows, streamed: kept as 128-bit keys, not as objects."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.ends: dict[int, int] = {}
        self.others: list[Entry] = []  # ids in another format (tests, older rows)
        self.ids: list[int] = []  # the first few, for the gaps (as in a catch-up)
        self.top = 0

    def take(self, rows: Iterable[tuple[int, str, int]]) -> None:
        ends, now = self.ends, self.now
        for id_, session_id, until in rows:
            self.top = max(self.top, id_)
            if len(self.ids) <= MAX_GAP_SPAN:
                self.ids.append(id_)
            key = _key(session_id)
            if key is None:
                self.others.append(Entry(id_, session_id, until))
            elif until > now and until > ends.get(key, 0):
                ends[key] = until


class Mirror:
    """This process's copy of the table: a compact sorted base (the start-up load, and
    what later compactions merge) and a dict of the entries added since."""

    def __init__(self, *, max_lag: float, monotonic: Callable[[], float] = time.monotonic):
        self._base = _Sorted()
        self._recent: dict[str, int] = {}
        self._recent_next_end = 0  # no entry of _recent ends before this (0: none)
        self._gaps: dict[int, float] = {}
        self._confirmed_at: float | None = None
        self._max_lag = max_lag
        self._monotonic = monotonic
        self.after = 0  # every id up to here was seen, or is a gap being looked for

    def __len__(self) -> int:
        """Entries held (an ended one stays in the base until the next compaction)."""
        return len(self._base) + len(self._recent)

    def until(self, session_id: str) -> int:
        """When the latest revocation of this session ends (0: none known)."""
        recent = self._recent.get(session_id, 0)
        key = _key(session_id)
        return recent if key is None else max(recent, self._base.until(key))

    def is_revoked(self, session_id: str, now: int) -> bool:
        recent = self._recent.get(session_id)
        if recent is not None and now < recent:
            return True
        if not len(self._base):  # a small site: no base, no key to compute
            return False
        key = _key(session_id)
        return key is not None and now < self._base.until(key)

    def is_current(self) -> bool:
        confirmed = self._confirmed_at
        return confirmed is not None and self._monotonic() - confirmed <= self._max_lag

    @property
    def gaps(self) -> list[int]:
        return sorted(self._gaps)

    def add(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            if entry.until > self.until(entry.session_id):
                self._recent[entry.session_id] = entry.until
                if not self._recent_next_end or entry.until < self._recent_next_end:
                    self._recent_next_end = entry.until

    def caught_up(self, entries: Sequence[Entry], *, started_at: float) -> None:
        """A catch-up that began at ``started_at`` returned ``entries`` (every row with an
        id past :attr:`after`, and any of the gaps that have committed since)."""
        self.add(entries)
        self._seen([entry.id for entry in entries], started_at=started_at)

    def loaded(self, loader: Loader, *, started_at: float) -> None:
        """A streamed catch-up (start-up) is over: its rows join the base at once."""
        if loader.ends:  # (while the table is empty every poll comes here)
            self._base = _compacted(self._base, {}, loader.ends, loader.now)
        self.add(loader.others)
        self._seen(loader.ids, started_at=started_at, top=loader.top)

    def _seen(self, ids: Sequence[int], *, started_at: float, top: int = 0) -> None:
        seen = set(ids)
        top = max(top, *seen, self.after) if seen else max(top, self.after)
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
        """Drop the recent entries no token can outlive any more (a look at each only once
        the earliest has ended; the base's are dropped when it is compacted)."""
        if not self._recent_next_end or now < self._recent_next_end:
            return
        self._recent = {sid: until for sid, until in self._recent.items() if until > now}
        self._recent_next_end = min(self._recent.values(), default=0)

    def compaction_due(self, now: int) -> bool:
        """The recent entries have grown past a quarter of the base, or half the base has
        ended."""
        base = len(self._base)
        grown = len(self._recent) > COMPACT_AFTER + base // 4
        return grown or (base > 0 and now >= self._base.half_dead_at)

    def snapshot(self) -> tuple[_Sorted, dict[str, int]]:
        return self._base, dict(self._recent)

    def install(self, base: _Sorted, merged: dict[str, int]) -> None:
        """``base`` was compacted from the base and ``merged`` (the recent entries then):
        entries added since stay recent."""
        self._base = base
        for session_id, until in merged.items():
            if _key(session_id) is not None and self._recent.get(session_id) == until:
                del self._recent[session_id]
        self._recent_next_end = min(self._recent.values(), default=0)

    def compact(self, now: int) -> None:
        base, recent = self.snapshot()
        self.install(_compacted(base, recent, {}, now), recent)


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
        mirror = self.mirror
        if mirror.after == 0:  # start-up: up to a token lifetime of rows, streamed
            loader = Loader(now)
            async with self._db.read() as db:
                await _stream(db, mirror.after, loader.take)
            mirror.loaded(loader, started_at=started_at)
            if len(loader.ends) >= TRIM_AFTER:
                _trim_heap()
        else:
            async with self._db.read() as db:
                entries = await _since(db, mirror.after, mirror.gaps)
            mirror.caught_up(entries, started_at=started_at)
        mirror.forget(now)
        if mirror.compaction_due(now):  # built in a thread: the loop keeps serving
            base, recent = mirror.snapshot()
            built = await asyncio.to_thread(_compacted, base, recent, {}, now)
            mirror.install(built, recent)

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


def _trim_heap() -> None:
    """Hand the heap a large load freed back to the system (glibc keeps it otherwise: the
    keys and rows built on the way to the arrays, ~30 MiB for 10^6 entries)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        return


async def _stream(
    db: AsyncSession, after: int, take: Callable[[Iterable[tuple[int, str, int]]], None]
) -> None:
    """Every row past ``after``, fetched ``STREAM_ROWS`` at a time: no ORM rows, no list
    of them all."""
    connection = await db.connection()
    result = await connection.stream(
        select(col(Revocation.id), col(Revocation.session_public_id), col(Revocation.until))
        .where(col(Revocation.id) > after)
        .order_by(col(Revocation.id))
    )
    async for rows in result.partitions(STREAM_ROWS):
        take((i, s, u) for i, s, u in rows if i is not None)


async def purge(db: AsyncSession, now: int) -> int:
    result = await db.exec(delete(Revocation).where(col(Revocation.until) <= now))
    return int(getattr(result, "rowcount", 0) or 0)
