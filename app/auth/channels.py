"""Push paths for revocations between processes and hosts (the catch-up poll in
:mod:`app.auth.revocations` is what makes them optional and lets them fail).

- :class:`PostgresChannel`: ``pg_notify`` inside the writing transaction - PostgreSQL
  delivers it when, and only if, that transaction commits - and ``LISTEN`` on one
  connection of its own, re-opened when it drops.
- :class:`RedisChannel`: ``PUBLISH`` after the commit, ``SUBSCRIBE`` on its own
  connection, re-opened when it drops.
- :class:`LocalChannel` (SQLite: every process of the deployment is on one host): a Unix
  datagram socket per process in a private directory (``0700``) named for the database
  file; after the commit, one datagram to every other process's socket. A socket nobody
  listens on any more (a process that died) is removed by the first sender to find it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import socket
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from app.auth.revocations import Entry
from app.db.database import Tx

__all__ = ["LocalChannel", "PostgresChannel", "RedisChannel", "create_channel", "local_directory"]

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


class LocalChannel:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._own: Path | None = None

    async def in_transaction(self, tx: Tx, entries: Sequence[Entry]) -> None:
        return None

    async def after_commit(self, entries: Sequence[Entry]) -> None:
        """One datagram per chunk to every other process: never blocks (a peer whose
        buffer is full gets the entries from its catch-up poll instead)."""
        try:
            peers = [p for p in self._directory.glob("*.sock") if p != self._own]
        except OSError:
            return
        if not peers:
            return
        payloads = [payload.encode() for payload in _payloads(entries)]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            for peer in peers:
                try:
                    for payload in payloads:
                        sender.sendto(payload, str(peer))
                except (ConnectionRefusedError, FileNotFoundError):
                    with contextlib.suppress(OSError):
                        peer.unlink()  # its process is gone
                except OSError:  # full, or anything else: the catch-up poll will tell
                    continue

    async def listen(self, deliver: Deliver) -> None:
        loop = asyncio.get_running_loop()
        path = self._directory / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            for attempt in range(2):  # a last process leaving may remove the directory
                try:
                    _private_directory(self._directory)
                    receiver.bind(str(path))
                    break
                except FileNotFoundError:
                    if attempt:
                        raise
            receiver.setblocking(False)
        except OSError as error:  # the catch-up poll alone still keeps every worker right
            receiver.close()
            log.warning("revocation_listener_down", error=type(error).__name__)
            return
        self._own = path

        def readable() -> None:
            while True:
                try:
                    data = receiver.recv(65536)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return
                deliver(_entries(data))

        loop.add_reader(receiver.fileno(), readable)
        log.info("revocation_listener_up", channel="local")
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            loop.remove_reader(receiver.fileno())
            receiver.close()
            self._own = None
            with contextlib.suppress(OSError):
                path.unlink()
            with contextlib.suppress(OSError):
                self._directory.rmdir()  # the last process of the deployment to stop


def _private_directory(directory: Path) -> None:
    """Create it ``0700``, or accept it only if this user owns it and no one else may
    write there (a socket there is trusted to carry revocations)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{directory} is not private to this user")


def local_directory(database_url: str) -> Path:
    """Where the processes using this SQLite file meet: short (a socket's path has at most
    107 bytes), per user, per database file."""
    database = make_url(database_url).database or ""
    key = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sessions-jwt-{os.getuid()}-{key}"


def create_channel(
    database_url: str, store_url: str
) -> PostgresChannel | RedisChannel | LocalChannel | None:
    """Redis when configured, else PostgreSQL's own, else (SQLite: one host) the local
    sockets."""
    if store_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisChannel(store_url)
    backend = make_url(database_url).get_backend_name()
    if backend == "postgresql":
        return PostgresChannel(database_url)
    if backend == "sqlite":
        return LocalChannel(local_directory(database_url))
    return None
