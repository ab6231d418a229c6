"""Short-lived server-side state in a Litestar store (memory, or Redis for several processes).

- :class:`Denylist`: sessions revoked before their tokens expire. The guard asks it on
  every request - a store lookup, never a session-table query - so logout, revocation
  and reuse detection take effect at once, even inside an access window.
- :class:`Successors`: for a few seconds after a rotation, the successor's token, keyed
  by the hash of the secret it replaced, so that requests that raced the rotation end
  with the one successor instead of signing the user out.

Expiry is judged by the injected clock (stored with the value); the store's own TTL,
in real seconds, only frees memory.
"""

from __future__ import annotations

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

__all__ = ["Denylist", "Successors", "create_store"]


def create_store(url: str) -> Store:
    """``memory`` (one process) or ``redis://...`` (shared by several processes)."""
    if url in {"", "memory"}:
        return MemoryStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Imported here: the optional 'redis' package is needed only when configured.
        from litestar.stores.redis import RedisStore  # noqa: PLC0415

        return RedisStore.with_client(url=url)
    raise ValueError(f"unsupported store {url.split(':', 1)[0]!r}: use memory or redis://...")


def _pack(until: int, value: str) -> bytes:
    return f"{until}:{value}".encode()


def _unpack(raw: bytes | None, now: int) -> str | None:
    if raw is None:
        return None
    until, _, value = raw.decode().partition(":")
    return value if now < int(until) else None


class Denylist:
    def __init__(self, store: Store, *, ttl: int) -> None:
        self._store = store
        self._ttl = ttl  # the token lifetime: no token of the session outlives it

    async def revoke(self, session_id: str, *, revoked_at: int, now: int) -> None:
        until = revoked_at + self._ttl
        if until > now:
            await self._store.set(
                f"revoked:{session_id}", _pack(until, "1"), expires_in=until - now + 1
            )

    async def is_revoked(self, session_id: str, now: int) -> bool:
        return _unpack(await self._store.get(f"revoked:{session_id}"), now) is not None


class Successors:
    def __init__(self, store: Store, *, grace: int) -> None:
        self._store = store
        self._grace = grace

    async def remember(self, old_secret_hash: str, token: str, *, rotated_at: int) -> None:
        until = rotated_at + self._grace
        await self._store.set(
            f"successor:{old_secret_hash}", _pack(until, token), expires_in=self._grace + 5
        )

    async def find(self, old_secret_hash: str, now: int) -> str | None:
        return _unpack(await self._store.get(f"successor:{old_secret_hash}"), now)
