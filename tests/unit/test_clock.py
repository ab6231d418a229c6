"""The clock (app/clock.py): a test clock that moves only when told, ISO-8601 in UTC."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.clock import Clock, SystemClock, TestClock, from_iso, to_iso

T0 = 1_800_000_000  # 2027-01-15T08:00:00Z


def test_the_test_clock_stands_still() -> None:
    clock = TestClock(T0)
    assert clock.now() == T0
    assert clock.now() == T0


def test_advance() -> None:
    clock = TestClock(T0)
    assert clock.advance(3600) == T0 + 3600
    assert clock.now() == T0 + 3600
    assert clock.advance(1) == T0 + 3601
    assert clock.now() == T0 + 3601


def test_set() -> None:
    clock = TestClock(T0)
    assert clock.set(T0 + 86400) == T0 + 86400
    assert clock.now() == T0 + 86400
    assert clock.set(T0 - 5) == T0 - 5  # back in time too
    assert clock.now() == T0 - 5


def test_a_test_clock_without_a_start_begins_at_the_real_now() -> None:
    before = int(time.time())
    now = TestClock().now()
    after = int(time.time())
    assert before <= now <= after


def test_the_system_clock_reads_whole_seconds() -> None:
    before = int(time.time())
    now = SystemClock().now()
    after = int(time.time())
    assert isinstance(now, int)
    assert before <= now <= after


def test_both_clocks_are_clocks() -> None:
    assert isinstance(TestClock(T0), Clock)
    assert isinstance(SystemClock(), Clock)


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (T0, "2027-01-15T08:00:00Z"),
        (T0 - 1, "2027-01-15T07:59:59Z"),
        (T0 + 1, "2027-01-15T08:00:01Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
    ],
)
def test_to_iso_and_back(when: int, text: str) -> None:
    assert to_iso(when) == text
    assert from_iso(text) == when


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2027-01-15T08:00:00Z", id="Z"),
        pytest.param("2027-01-15T08:00:00+00:00", id="+00:00"),
        pytest.param("2027-01-15T08:00:00", id="no offset is UTC"),
        pytest.param("2027-01-15 08:00:00", id="space, no offset"),
        pytest.param("2027-01-15T10:00:00+02:00", id="+02:00"),
        pytest.param("2027-01-15T03:00:00-05:00", id="-05:00"),
        pytest.param("  2027-01-15T08:00:00Z\n", id="surrounding whitespace"),
        pytest.param("2027-01-15T08:00:00.999Z", id="fraction dropped"),
    ],
)
def test_from_iso(text: str) -> None:
    assert from_iso(text) == T0


@pytest.mark.parametrize("text", ["", "yesterday", "2027-13-01T00:00:00Z", "1800000000"])
def test_from_iso_refuses_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - datetime's own message
        from_iso(text)


@pytest.fixture
def local_zone_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    assert time.localtime(T0).tm_hour != time.gmtime(T0).tm_hour
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_zone_not_utc")
def test_utc_does_not_depend_on_the_machines_time_zone() -> None:
    assert from_iso("2027-01-15T08:00:00") == T0
    assert from_iso("2027-01-15T08:00:00Z") == T0
    assert to_iso(T0) == "2027-01-15T08:00:00Z"
