"""The sliding-window throttle, judged by the clock we pass in."""

from __future__ import annotations

import pytest
from litestar.stores.memory import MemoryStore

from app.auth.throttle import Throttle

WINDOW = 900
T0 = 1_800_000_000


@pytest.fixture
def throttle() -> Throttle:
    return Throttle(MemoryStore(), name="account", limit=10, window=WINDOW)


async def test_the_limit_is_reached_after_exactly_limit_attempts(throttle: Throttle) -> None:
    for i in range(9):
        await throttle.record("a@example.com", T0 + i)
    assert await throttle.retry_after("a@example.com", T0 + 9) == 0  # the 10th is allowed
    await throttle.record("a@example.com", T0 + 9)
    wait = await throttle.retry_after("a@example.com", T0 + 10)  # the 11th is refused
    assert wait == WINDOW - 10  # until the oldest attempt leaves the window


@pytest.mark.parametrize(("offset", "allowed"), [(-1, False), (0, True), (1, True)])
async def test_the_window_boundary(throttle: Throttle, offset: int, allowed: bool) -> None:
    for _ in range(10):
        await throttle.record("a@example.com", T0)
    waited = await throttle.retry_after("a@example.com", T0 + WINDOW + offset)
    assert (waited == 0) is allowed


async def test_keys_are_independent_and_reset_clears(throttle: Throttle) -> None:
    for _ in range(10):
        await throttle.record("a@example.com", T0)
    assert await throttle.retry_after("a@example.com", T0) > 0
    assert await throttle.retry_after("b@example.com", T0) == 0
    await throttle.reset("a@example.com")
    assert await throttle.retry_after("a@example.com", T0) == 0


async def test_it_never_keeps_more_than_the_limit(throttle: Throttle) -> None:
    store = MemoryStore()
    small = Throttle(store, name="x", limit=3, window=WINDOW)
    for i in range(50):
        await small.record("k", T0 + i)
    raw = await store.get("throttle:x:k")
    assert raw is not None
    assert len(raw.decode().split(",")) == 3
