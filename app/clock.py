"""The one source of "now". Every time comparison in the app uses a value read here.

Times are whole UTC seconds since the epoch (SQLite keeps no time zones, and a
boundary is easiest to reason about in integers).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "TestClock", "from_iso", "to_iso"]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> int:
        """Whole seconds since the epoch, UTC."""
        ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())


class TestClock:
    """A clock that only moves when told to. Starts at the given time (default: real now)."""

    __test__ = False  # not a pytest test class

    def __init__(self, start: int | None = None) -> None:
        self._now = int(time.time()) if start is None else start

    def now(self) -> int:
        return self._now

    def advance(self, seconds: int) -> int:
        self._now += seconds
        return self._now

    def set(self, when: int) -> int:
        self._now = when
        return self._now


def to_iso(when: int) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")


def from_iso(text: str) -> int:
    """Parse ISO-8601; a time without an offset is taken as UTC."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
