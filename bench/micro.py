"""Per-operation costs inside one process, no HTTP: where a request's auth time goes.

Each figure is the median of 7 timings of a loop of calls, divided by the loop length:
the token codec (joserfc JWE ``dir`` + ``A256GCM``), the denylist lookup (the in-memory
mirror, ``Revocations.is_revoked``) and the guard's whole ``Authenticator.authenticate``
for tiers 1 and 2, on the app's own parts (``app.state.core``); and SQLite's push path
for revocations (``LocalChannel``), per revocation, on each side.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.clock import TestClock
from app.config import Settings
from app.db import migrate
from app.security.keys import load_or_create_keyset
from app.security.tokens import TokenCodec
from app.shared.clients import ClientInfo
from bench.page import EMAIL, demo_claims
from bench.subject import build

__all__ = ["measure_micro"]

_START = 1_800_000_000


def _per_call_us(function: Callable[[], object], loops: int) -> float:
    runs = []
    for _ in range(7):
        begun = time.perf_counter()
        for _ in range(loops):
            function()
        runs.append((time.perf_counter() - begun) / loops * 1e6)
    return statistics.median(runs)


async def _per_await_us(function: Callable[[], Awaitable[object]], loops: int) -> float:
    runs = []
    for _ in range(7):
        begun = time.perf_counter()
        for _ in range(loops):
            await function()
        runs.append((time.perf_counter() - begun) / loops * 1e6)
    return statistics.median(runs)


def measure_micro() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        keys = load_or_create_keyset(Path(tmp) / "keys.json", _START)  # the app's, below
        codec = TokenCodec(keys)
        claims = demo_claims(1, EMAIL, _START)
        token = codec.encode(claims)
        settings = Settings(
            data_dir=Path(tmp), test_clock=True, log_level="WARNING", purge_interval=0
        )
        clock = TestClock(_START)
        app = build(settings, clock=clock)
        core = app.state.core  # the app's own parts, as create_app built them
        authenticator = core.authenticator
        revocations = core.revocations
        client = ClientInfo()
        figures = {
            "token_bytes": float(len(token)),
            "decode_us": _per_call_us(lambda: codec.decode(token), 2000),
            "encode_us": _per_call_us(lambda: codec.encode(claims), 2000),
            "denylist_us": _per_call_us(
                lambda: revocations.is_revoked(claims.session_id, _START), 20000
            ),
        }

        async def guard() -> None:
            await migrate.upgrade(core.db.engine)
            await revocations.catch_up()  # the mirror current, as after start-up
            figures["authenticate_tier1_us"] = await _per_await_us(
                lambda: authenticator.authenticate(token, lambda: client), 20000
            )
            clock.advance(settings.access_ttl)
            figures["authenticate_tier2_us"] = await _per_await_us(
                lambda: authenticator.authenticate(token, lambda: client), 5000
            )
            await core.db.dispose()

        asyncio.run(guard())
        push = Path(tmp) / "push"
        push.mkdir(mode=0o700)
        figures |= asyncio.run(_local_push(push))
        return figures


async def _local_push(directory: Path) -> dict[str, float]:
    """SQLite's push path (``LocalChannel``): what the writer pays per revocation with one
    and with three other workers listening, and what a listening worker pays to take one
    in (read the datagram, add the entry to its mirror)."""
    import socket  # noqa: PLC0415

    from app.auth.channels import LocalChannel, _entries, _payloads  # noqa: PLC0415
    from app.auth.revocations import Entry, Mirror  # noqa: PLC0415

    entry = [Entry(id=1, session_id="x" * 22, until=_START + 86400)]
    figures = {}
    peers: list[socket.socket] = []
    channel = LocalChannel(directory)
    for count in (1, 3):
        while len(peers) < count:
            peer = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            peer.bind(str(directory / f"peer{len(peers)}.sock"))
            peers.append(peer)

        async def send() -> None:
            await channel.after_commit(entry)
            for peer in peers:  # keep their buffers from filling (not timed separately)
                peer.recv(65536)

        figures[f"local_push_{count}_us"] = await _per_await_us(send, 2000)
    payload = _payloads(entry)[0].encode()
    mirror = Mirror(max_lag=1.0)
    figures["local_receive_us"] = _per_call_us(lambda: mirror.add(_entries(payload)), 20000)
    for peer in peers:
        peer.close()
    return figures
