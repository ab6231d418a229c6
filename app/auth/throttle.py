"""Attempt throttling with a sliding window, judged by the injected clock.

Each key (an account's email, a client address) keeps the times of its recent
attempts in a Litestar store. Past ``limit`` attempts inside ``window`` seconds,
the key waits until the oldest of them leaves the window: no account is ever
locked for longer than one window. Sign-ins count an attempt *before* the password is
checked (a success resets the count), so parallel guesses are counted too.
"""

from __future__ import annotations

import asyncio
import json

from litestar.stores.base import Store

__all__ = ["Throttle"]


class Throttle:
    def __init__(self, store: Store, *, name: str, limit: int, window: int) -> None:
        self._store = store
        self._prefix = f"throttle:{name}:"
        self._limit = limit
        self._window = window
        # Check-and-record is one step: concurrent attempts cannot all pass the check
        # before any of them is counted.
        self._lock = asyncio.Lock()

    async def _recent(self, key: str, now: int) -> list[int]:
        raw = await self._store.get(self._prefix + key)
        times: list[int] = json.loads(raw) if raw else []
        return [t for t in times if now - self._window < t <= now]

    async def retry_after(self, key: str, now: int) -> int:
        """Seconds to wait before the next attempt; 0 when one is allowed now."""
        recent = await self._recent(key, now)
        if len(recent) < self._limit:
            return 0
        return recent[-self._limit] + self._window - now

    async def attempt(self, key: str, now: int) -> int:
        """Count an attempt now if one is allowed (0), else the seconds to wait."""
        async with self._lock:
            wait = await self.retry_after(key, now)
            if not wait:
                await self.record(key, now)
            return wait

    async def record(self, key: str, now: int) -> None:
        recent = (await self._recent(key, now))[-(self._limit - 1) :] if self._limit > 1 else []
        recent.append(now)
        await self._store.set(self._prefix + key, json.dumps(recent), expires_in=self._window + 60)

    async def reset(self, key: str) -> None:
        await self._store.delete(self._prefix + key)
