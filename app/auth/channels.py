"""Push paths for revocations between processes and hosts (the catch-up poll in
:mod:`app.auth.revocations` is what makes them optional and lets them fail).

- :class:`PostgresChannel`: ``pg_notify`` inside the writing transaction - PostgreSQL
  delivers it when, and only if, that transaction commits - and ``LISTEN`` on one
  connection of its own, re-opened when it drops.
- :class:`RedisChannel`: ``PUBLISH`` after the commit, ``SUBSCRIBE`` on its own
  connection, re-opened when it drops.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from app.auth.revocations import Entry
from app.db.database import Tx

__all__ = ["PostgresChannel", "RedisChannel", "create_channel"]

log = structlog.get_logger("app.revocations")

CHANNEL = "app_revocations"
RETRY = 1.0  # seconds between attempts to re-open a dropped listener
_CHUNK = 80  # entries per message: a NOTIFY payload is at most 8000 bytes

Deliver = Callable[[Sequence[Entry]], None]


def _payloads(entries: Sequence[Entry]) -> list[str]:
    return [
        json.dumps([[e.id, e.session_id, e.until] for e in entries[i : i + _CHUNK]])
        for i in range(0, len(entries), _CHUNK)
    ]


def _entries(payload: str | bytes) -> list[Entry]:
    try:
        rows = json.loads(payload)
        return [Entry(id=int(i), session_id=str(s), until=int(u)) for i, s, u in rows]
    except (ValueError, TypeError):  # not ours: the catch-up poll will tell
        log.warning("revocation_message_unreadable")
        return []


class PostgresChannel:
    def __init__(self, database_url: str) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)

    async def in_transaction(self, tx: Tx, entries: Sequence[Entry]) -> None:
        for payload in _payloads(entries):
            await tx.session.exec(select(func.pg_notify(CHANNEL, payload)))

    async def after_commit(self, entries: Sequence[Entry]) -> None:
        return None  # PostgreSQL delivered the notification at the commit

    async def listen(self, deliver: Deliver) -> None:
        import asyncpg  # noqa: PLC0415 - the optional PostgreSQL driver

        def on_notify(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            deliver(_entries(payload))

        while True:
            try:
                connection = await asyncpg.connect(self._dsn)
            except Exception as error:
                log.warning("revocation_listener_down", error=type(error).__name__)
                await asyncio.sleep(RETRY)
                continue
            closed = asyncio.Event()
            connection.add_termination_listener(lambda _connection, done=closed: done.set())
            try:
                await connection.add_listener(CHANNEL, on_notify)
                log.info("revocation_listener_up", channel="postgresql")
                await closed.wait()
                log.warning("revocation_listener_down", error="connection closed")
            except Exception as error:
                log.warning("revocation_listener_down", error=type(error).__name__)
            finally:
                if not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(RETRY)


class RedisChannel:
    def __init__(self, url: str) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis  # noqa: PLC0415 - optional

        self._url = url
        pool = BlockingConnectionPool.from_url(
            url, max_connections=8, timeout=2, socket_timeout=2, socket_connect_timeout=2
        )
        self._redis = Redis(connection_pool=pool)

    async def in_transaction(self, tx: Tx, entries: Sequence[Entry]) -> None:
        return None

    async def after_commit(self, entries: Sequence[Entry]) -> None:
        try:
            for payload in _payloads(entries):
                await self._redis.publish(CHANNEL, payload)
        except Exception as error:  # the other processes' catch-up poll will find them
            log.warning("revocation_publish_failed", error=type(error).__name__)

    async def listen(self, deliver: Deliver) -> None:
        from redis.asyncio import Redis  # noqa: PLC0415

        while True:
            client = Redis.from_url(self._url, socket_connect_timeout=2)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    log.info("revocation_listener_up", channel="redis")
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            deliver(_entries(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("revocation_listener_down", error=type(error).__name__)
            finally:
                await client.aclose()
            await asyncio.sleep(RETRY)

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


def create_channel(database_url: str, store_url: str) -> PostgresChannel | RedisChannel | None:
    """Redis when configured, else PostgreSQL's own, else none (SQLite: one host, the
    catch-up poll is the channel)."""
    if store_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisChannel(store_url)
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresChannel(database_url)
    return None
