"""The test clock of a whole deployment (``APP_TEST_CLOCK=1``): one "now" for every worker
and host, kept in the ``test_clock`` table.

Each process keeps a :class:`~app.clock.TestClock` (what ``now()`` returns, no I/O) and
copies the table's value into it before every request and every 100 ms in the
background, so that once ``POST /_test/clock`` has answered on any worker, every worker
reads the new time. With the system clock none of this exists.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from app.clock import TestClock
from app.db.database import Database
from app.db.models import TestClockRow

__all__ = ["ClockControl", "LocalClockControl", "SharedClock"]

log = structlog.get_logger("app.clock")

REFRESH = 0.1  # seconds between background refreshes


class ClockControl(Protocol):
    """What ``/_test/clock`` drives."""

    async def read(self) -> int: ...
    async def advance(self, seconds: int) -> int: ...
    async def set(self, when: int) -> int: ...


class LocalClockControl:
    """One process's clock, as a test that injects its own ``TestClock`` owns it."""

    def __init__(self, clock: TestClock) -> None:
        self.clock = clock

    async def read(self) -> int:
        return self.clock.now()

    async def advance(self, seconds: int) -> int:
        return self.clock.advance(seconds)

    async def set(self, when: int) -> int:
        return self.clock.set(when)


class SharedClock:
    def __init__(self, db: Database, clock: TestClock) -> None:
        self._db = db
        self.clock = clock
        dialect = postgresql if db.dialect == "postgresql" else sqlite
        self._insert = dialect.insert

    async def start(self) -> None:
        """The first process to start sets the deployment's time (its own, the real now)."""
        async with self._db.write() as tx:
            await tx.session.exec(
                self._insert(TestClockRow)
                .values(id=1, now=self.clock.now())
                .on_conflict_do_nothing(index_elements=["id"])
            )
        await self.refresh()

    async def refresh(self) -> None:
        async with self._db.read() as db:
            found = await db.exec(select(col(TestClockRow.now)).where(col(TestClockRow.id) == 1))
            now = found.first()
        if now is not None:
            self.clock.set(int(now))

    async def read(self) -> int:
        await self.refresh()
        return self.clock.now()

    async def advance(self, seconds: int) -> int:
        async with self._db.write() as tx:
            await tx.session.exec(
                update(TestClockRow)
                .where(col(TestClockRow.id) == 1)
                .values(now=col(TestClockRow.now) + seconds)
            )
        return await self.read()

    async def set(self, when: int) -> int:
        async with self._db.write() as tx:
            await tx.session.exec(
                update(TestClockRow).where(col(TestClockRow.id) == 1).values(now=when)
            )
        return await self.read()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            try:
                await self.refresh()
            except Exception as error:  # retried at the next round
                log.warning("test_clock_refresh_failed", error=type(error).__name__)
