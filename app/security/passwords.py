"""Password hashing with argon2id, off the event loop, with a bounded number at once.

``verify`` always costs one argon2 verification, even for an unknown account
(a dummy hash), so the response time does not tell which emails exist.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Callable
from typing import TypeVar

import anyio
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

T = TypeVar("T")

__all__ = ["HashQueueFullError", "PasswordService", "normalize_password"]


class HashQueueFullError(RuntimeError):
    """More hashes are waiting than the bound: answer "busy" instead of queueing forever."""


def normalize_password(password: str) -> str:
    """NFKC, so that the same password typed on two keyboards hashes the same (NIST 800-63B)."""
    return unicodedata.normalize("NFKC", password)


class PasswordService:
    def __init__(
        self,
        *,
        time_cost: int,
        memory_cost: int,
        parallelism: int,
        concurrency: int | None = None,
        queue_factor: int = 4,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Each hash holds memory_cost KiB: a login storm queues here instead of
        # taking all memory, and the event loop never runs argon2 itself.
        # Default: one core fewer than the machine has, so logins never take every core
        # from the event loop serving everyone else.
        self.concurrency = concurrency or max(1, (os.cpu_count() or 2) - 1)
        self._limiter = anyio.CapacityLimiter(self.concurrency)
        # Past this many hashes running or waiting, a new one is refused at once: behind
        # 200 failed logins a real one would otherwise wait seconds.
        self.max_waiting = queue_factor * self.concurrency
        self._waiting = 0
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        normalized = normalize_password(password)
        return await self._off_the_loop(self._hasher.hash, normalized)

    async def verify(self, stored_hash: str | None, password: str) -> tuple[bool, str | None]:
        """Return (matches, a new hash when the stored one uses outdated parameters)."""
        normalized = normalize_password(password)
        return await self._off_the_loop(self._verify_sync, stored_hash, normalized)

    async def _off_the_loop(self, work: Callable[..., T], *args: object) -> T:
        if self._waiting >= self.max_waiting:
            raise HashQueueFullError("too many password hashes are waiting")
        self._waiting += 1
        try:
            return await anyio.to_thread.run_sync(work, *args, limiter=self._limiter)
        finally:
            self._waiting -= 1

    def _verify_sync(self, stored_hash: str | None, password: str) -> tuple[bool, str | None]:
        if stored_hash is None:
            self._check(self._dummy_hash, password)
            return False, None
        if not self._check(stored_hash, password):
            return False, None
        if self._hasher.check_needs_rehash(stored_hash):
            return True, self._hasher.hash(password)
        return True, None

    def _check(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
