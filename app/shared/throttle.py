"""Attempt throttling with a sliding window, judged by the injected clock, shared by
every process of the deployment.

Each key (an account, a client address, an address a mail goes to) keeps the times of
its last ``limit`` attempts. Past ``limit`` attempts inside ``window`` seconds, the key
waits until the oldest of them leaves the window: no key is ever held for longer than
one window. The check and the record are one atomic step wherever the count lives:

- the database (default): one transaction per attempt, the key's row locked
  (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite);
- Redis (``APP_REVOCATION_STORE=redis://...``): one Lua script per attempt.

Both apply :func:`judge`, the rule itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from app.db.database import Database, Tx
from app.db.models import ThrottleBucket

__all__ = [
    "Counter",
    "CounterUnavailableError",
    "RedisCounter",
    "SqlCounter",
    "Throttle",
    "judge",
]


class CounterUnavailableError(RuntimeError):
    """The shared count cannot be reached: the attempt is neither allowed nor counted."""


def judge(times: Sequence[int], now: int, *, limit: int, window: int) -> tuple[int, list[int]]:
    """(seconds to wait, 0 if the attempt is allowed; the times to keep, this one included)."""
    recent = [t for t in times if now - window < t <= now]
    if len(recent) >= limit:
        return recent[-limit] + window - now, recent
    return 0, [*recent, now][-limit:]


class Counter(Protocol):
    async def attempt(
        self, key: str, now: int, *, limit: int, window: int, tx: Tx | None = None
    ) -> int: ...
    async def reset(self, key: str) -> None: ...


class Throttle:
    def __init__(self, counter: Counter, *, name: str, limit: int, window: int) -> None:
        self._counter = counter
        self._prefix = f"{name}:"
        self.limit = limit
        self.window = window

    async def attempt(self, key: str, now: int, *, tx: Tx | None = None) -> int:
        """Count an attempt now if one is allowed (0), else the seconds to wait. With
        ``tx``, a count kept in the database is part of that transaction (it holds if and
        only if what it counts commits)."""
        return await self._counter.attempt(
            self._prefix + key, now, limit=self.limit, window=self.window, tx=tx
        )

    async def reset(self, key: str) -> None:
        await self._counter.reset(self._prefix + key)


class SqlCounter:
    def __init__(self, db: Database) -> None:
        self._db = db
        dialect = postgresql if db.dialect == "postgresql" else sqlite
        self._insert = dialect.insert

    async def attempt(
        self, key: str, now: int, *, limit: int, window: int, tx: Tx | None = None
    ) -> int:
        if tx is not None:
            return await self._attempt(tx, key, now, limit=limit, window=window)
        async with self._db.write() as own:
            return await self._attempt(own, key, now, limit=limit, window=window)

    async def _attempt(self, tx: Tx, key: str, now: int, *, limit: int, window: int) -> int:
        db = tx.session
        await db.exec(
            self._insert(ThrottleBucket)
            .values(key=key, hits="[]", last_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        hits = await db.scalar(
            select(col(ThrottleBucket.hits)).where(col(ThrottleBucket.key) == key).with_for_update()
        )
        wait, kept = judge(json.loads(hits or "[]"), now, limit=limit, window=window)
        if not wait:
            await db.exec(
                update(ThrottleBucket)
                .where(col(ThrottleBucket.key) == key)
                .values(hits=json.dumps(kept), last_at=now)
            )
        return wait

    async def reset(self, key: str) -> None:
        async with self._db.write() as tx:
            await tx.session.exec(delete(ThrottleBucket).where(col(ThrottleBucket.key) == key))


# judge(), in Lua: KEYS[1] the key's list; ARGV now, limit, window, ttl (memory only).
_ATTEMPT = """
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local recent = {}
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local t = tonumber(raw)
  if t > now - window and t <= now then table.insert(recent, t) end
end
if #recent >= limit then return recent[#recent - limit + 1] + window - now end
table.insert(recent, now)
redis.call('DEL', KEYS[1])
for i = math.max(1, #recent - limit + 1), #recent do redis.call('RPUSH', KEYS[1], recent[i]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 0
"""


POOL_SIZE = 32  # Redis connections per process


class RedisCounter:
    def __init__(self, url: str) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis  # noqa: PLC0415 - optional
        from redis.asyncio.retry import Retry  # noqa: PLC0415
        from redis.backoff import ExponentialBackoff  # noqa: PLC0415
        from redis.exceptions import ConnectionError as RedisConnectionError  # noqa: PLC0415
        from redis.exceptions import RedisError  # noqa: PLC0415
        from redis.exceptions import TimeoutError as RedisTimeoutError  # noqa: PLC0415

        self._errors = (RedisError, OSError)
        # A burst of sign-ins waits for one of the pool's connections (a plain pool would
        # refuse at once); a connection kept from before an outage fails once: retry.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=2,
            socket_timeout=2,
            socket_connect_timeout=2,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self._redis: Any = Redis(connection_pool=pool)
        self._script = self._redis.register_script(_ATTEMPT)

    async def attempt(
        self, key: str, now: int, *, limit: int, window: int, tx: Tx | None = None
    ) -> int:
        # A count in Redis is not part of any database transaction (``tx`` is ignored).
        # The key's own expiry is in real seconds and only frees memory; it is long, so a
        # test clock that runs ahead of real time cannot make it forget attempts.
        ttl = 2 * window + 3600
        try:
            wait = await self._script(keys=[f"throttle:{key}"], args=[now, limit, window, ttl])
        except self._errors as error:
            raise CounterUnavailableError("the throttle store cannot be reached") from error
        return int(wait)

    async def reset(self, key: str) -> None:
        try:
            await self._redis.delete(f"throttle:{key}")
        except self._errors as error:
            raise CounterUnavailableError("the throttle store cannot be reached") from error

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


async def purge(db: Database, older_than: int) -> int:
    async with db.write() as tx:
        result = await tx.session.exec(
            delete(ThrottleBucket).where(col(ThrottleBucket.last_at) < older_than)
        )
    return int(getattr(result, "rowcount", 0) or 0)
