"""The sliding-window rule (app/auth/throttle.py::judge), judged by the clock we pass in.
The stores that apply it atomically are tested over HTTP on every backend."""

from __future__ import annotations

import pytest

from app.shared.throttle import judge

WINDOW = 900
LIMIT = 10
T0 = 1_800_000_000


def attempts(times: list[int], now: int) -> tuple[int, list[int]]:
    return judge(times, now, limit=LIMIT, window=WINDOW)


def test_the_limit_is_reached_after_exactly_limit_attempts() -> None:
    kept: list[int] = []
    for i in range(LIMIT):
        wait, kept = attempts(kept, T0 + i)
        assert wait == 0, i  # the 10th is allowed
    wait, _ = attempts(kept, T0 + LIMIT)  # the 11th is refused
    assert wait == WINDOW - LIMIT  # until the oldest attempt leaves the window


@pytest.mark.parametrize(("offset", "allowed"), [(-1, False), (0, True), (1, True)])
def test_the_window_boundary(offset: int, allowed: bool) -> None:
    wait, _ = attempts([T0] * LIMIT, T0 + WINDOW + offset)
    assert (wait == 0) is allowed


def test_a_refused_attempt_is_not_counted() -> None:
    full = [T0] * LIMIT
    _, kept = attempts(full, T0 + 1)
    assert kept == full


def test_it_never_keeps_more_than_the_limit() -> None:
    kept: list[int] = []
    for i in range(50):
        _, kept = judge(kept, T0 + i * WINDOW, limit=3, window=WINDOW)
    assert len(kept) <= 3


def test_times_from_the_future_do_not_count() -> None:
    # A test clock moved backwards: attempts "after now" are not inside the window.
    wait, kept = attempts([T0 + 60] * LIMIT, T0)
    assert wait == 0
    assert kept == [T0]
