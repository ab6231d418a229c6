"""Per-operation costs inside one process, no HTTP: where a request's auth time goes.

Each figure is the median of 7 timings of a loop of calls, divided by the loop length:
the token codec (joserfc JWE ``dir`` + ``A256GCM``), the denylist lookup (the in-memory
mirror, ``Revocations.is_revoked``) and the guard's whole ``Authenticator.authenticate``
for tiers 1 and 2, on the app's own parts (``app.state.core``).
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
        return figures
