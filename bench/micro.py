"""Per-operation costs inside one process, no HTTP: where a request's auth time goes.

Each figure is the median of 7 timings of a loop of calls, divided by the loop length:
the token codec (joserfc JWE ``dir`` + ``A256GCM``), the denylist lookup (a Litestar
``MemoryStore``) and the guard's whole ``AuthService.authenticate`` for tiers 1 and 2.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.auth.service import AuthService, ClientInfo
from app.auth.stores import Denylist
from litestar.stores.memory import MemoryStore

from app.clock import TestClock
from app.config import Settings
from app.security.keys import load_or_create_keyset
from app.security.tokens import TokenCodec
from bench.page import demo_claims
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
        claims = demo_claims(1, "bench@example.com", _START)
        token = codec.encode(claims)
        settings = Settings(data_dir=Path(tmp), test_clock=True, log_level="WARNING")
        clock = TestClock(_START)
        app = build(settings, clock=clock)
        service: AuthService = app.state.auth
        client = ClientInfo()
        figures = {
            "token_bytes": float(len(token)),
            "decode_us": _per_call_us(lambda: codec.decode(token), 2000),
            "encode_us": _per_call_us(lambda: codec.encode(claims), 2000),
        }

        denylist = Denylist(MemoryStore(), ttl=settings.token_ttl)

        async def guard() -> None:
            figures["denylist_us"] = await _per_await_us(
                lambda: denylist.is_revoked(claims.session_id, _START), 20000
            )
            figures["authenticate_tier1_us"] = await _per_await_us(
                lambda: service.authenticate(token, lambda: client), 20000
            )
            clock.advance(settings.access_ttl)
            figures["authenticate_tier2_us"] = await _per_await_us(
                lambda: service.authenticate(token, lambda: client), 5000
            )

        asyncio.run(guard())
        asyncio.run(app.state.engine.dispose())
        return figures
