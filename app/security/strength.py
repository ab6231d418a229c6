"""zxcvbn's guessability estimate, kept off the event loop and bounded.

zxcvbn is pure Python; its l33t matching grows exponentially with the number of distinct
l33t characters (a crafted 20-character password cost 250 ms of event-loop CPU). So:

- only a bounded part of the password is judged (the first 20 characters, cut short
  before the 11th distinct l33t character: :func:`judged_part`);
- the work runs in a process of its own (one per app process, started lazily and
  warmed at start-up), never on the event loop;
- each call has a deadline, and no more than a few calls wait at once; past either,
  :meth:`StrengthEstimator.estimate` answers None and the policy falls back to what
  costs nothing (length, the common-password list, the personal words).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from dataclasses import dataclass

__all__ = ["Estimate", "StrengthEstimator", "judged_part"]

JUDGED_LENGTH = 20
MAX_L33T = 10  # distinct l33t characters judged: ~5 ms at most, against 250 ms at 17
DEADLINE = 0.5  # seconds per estimate
MAX_IN_FLIGHT = 8  # estimates running or waiting, per app process
WARM_UP = 60.0  # seconds the first start of the worker may take (a cold, loaded machine)
_L33T = frozenset("4@8({[<3691!|7$5+%20")


@dataclass(frozen=True, slots=True)
class Estimate:
    score: int  # 0..4
    advice: str


def judged_part(password: str) -> str:
    """The start of the password zxcvbn looks at (its length is judged by the length rule)."""
    seen: set[str] = set()
    for index, char in enumerate(password[:JUDGED_LENGTH]):
        if char in _L33T and char not in seen:
            if len(seen) == MAX_L33T:
                return password[:index]
            seen.add(char)
    return password[:JUDGED_LENGTH]


def _follow_parent() -> None:
    """Runs in the worker process: exit when the app process does, however it ended.

    A SIGKILLed app process runs no atexit hook, and the worker's end of the task pipe
    never reads EOF (every spawned worker holds both ends), so without this it would
    wait forever as an orphan.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch(sentinel: int) -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(0)

    threading.Thread(target=watch, args=(parent.sentinel,), daemon=True).start()


def _estimate(password: str, words: list[str]) -> tuple[int, str]:
    """Runs in the worker process."""
    from zxcvbn import zxcvbn  # noqa: PLC0415 - imported where it runs

    result = zxcvbn(password, user_inputs=words)
    feedback = result["feedback"]
    advice = feedback["warning"] or " ".join(feedback["suggestions"])
    return int(result["score"]), str(advice)


class _Pool:
    """One worker process per app process, shared by every app built in it (tests build
    hundreds), shut down at exit."""

    _lock = threading.Lock()
    _executor: ProcessPoolExecutor | None = None

    @classmethod
    def get(cls) -> ProcessPoolExecutor:
        with cls._lock:
            if cls._executor is None:
                context = multiprocessing.get_context("spawn")  # no copy of our threads
                cls._executor = ProcessPoolExecutor(
                    max_workers=1, mp_context=context, initializer=_follow_parent
                )
                atexit.register(cls._executor.shutdown, wait=False, cancel_futures=True)
            return cls._executor

    @classmethod
    def broken(cls, executor: ProcessPoolExecutor) -> None:
        """The worker died (killed, out of memory): the next call starts a new one."""
        with cls._lock:
            if cls._executor is executor:
                cls._executor = None
        executor.shutdown(wait=False, cancel_futures=True)


class StrengthEstimator:
    def __init__(self, *, deadline: float = DEADLINE, max_in_flight: int = MAX_IN_FLIGHT):
        self._deadline = deadline
        self._max_in_flight = max_in_flight
        self._in_flight = 0

    async def warm_up(self) -> None:
        """Start the worker process and load zxcvbn's dictionaries before traffic does."""
        future = _Pool.get().submit(_estimate, "warm up", [])
        await asyncio.wait_for(asyncio.wrap_future(future), WARM_UP)

    async def estimate(self, password: str, words: list[str]) -> Estimate | None:
        """zxcvbn's score and advice, or None when it cannot answer in time."""
        if self._in_flight >= self._max_in_flight:
            return None
        executor = _Pool.get()
        try:
            running = asyncio.wrap_future(executor.submit(_estimate, judged_part(password), words))
        except BrokenExecutor:
            _Pool.broken(executor)
            return None
        self._in_flight += 1
        running.add_done_callback(self._done)  # counted until it really ends
        try:
            score, advice = await asyncio.wait_for(asyncio.shield(running), self._deadline)
        except TimeoutError:
            return None
        except BrokenExecutor:
            _Pool.broken(executor)
            return None
        return Estimate(score=score, advice=advice)

    def _done(self, _: asyncio.Future[tuple[int, str]]) -> None:
        self._in_flight -= 1
