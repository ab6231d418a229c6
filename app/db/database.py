"""Reads and writes: the one way the app opens a database transaction.

``async with db.write() as tx`` is one transaction; whatever must happen *because* it
committed (telling other processes of a revocation, waking the mail sender) is
registered with ``tx.after_commit(...)`` and runs only once the commit succeeded, so
nothing outside the database ever hears of a change that was rolled back.

On SQLite one process writes at a time (an ``asyncio.Lock``, then ``BEGIN IMMEDIATE``):
concurrent writers queue in order instead of sleeping in SQLite's busy handler.

**When the database does not answer** (down, frozen, refusing connections, out of
connections, its write lock held elsewhere) every wait is bounded by ``APP_DB_TIMEOUT``
(:func:`app.db.engine.create_engine`, and here the wait for the in-process write lock),
and whatever the driver raised for it leaves :meth:`Database.read` /
:meth:`Database.write` as :class:`DatabaseUnavailableError` (its cause attached): the
web layer answers ``503``, the background loops log one line and try again. The
connections involved are dropped without another word to the server (a rollback sent
to a frozen server would wait out the timeout once more); the pool opens new ones once
the database answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy import literal
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.engine import SQLITE_BEGIN

__all__ = ["Database", "DatabaseUnavailableError", "Tx", "is_unavailable", "unavailable_cause"]

log = structlog.get_logger("app.db")

# SQLSTATEs of a server that cannot do the work now (PostgreSQL appendix A): class 08
# (connection exception) and 53 (insufficient resources: too many connections, disk
# full), 57P01-57P05 (shutting down, starting up, ...), 57014 (a statement timeout),
# 55P03 (a lock not available in time).
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53")
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05", "57014", "55P03"})
# SQLite's words for a lock held past the busy timeout, or a file it cannot use.
UNAVAILABLE_SQLITE = ("database is locked", "database table is locked", "unable to open database")


class DatabaseUnavailableError(Exception):
    """The database did not do this work in time (or is down): nothing is wrong with the
    request or the code, and the same request may succeed in a moment. ``__cause__`` is
    what the driver raised."""

    @property
    def reason(self) -> str:
        """What the driver raised, by name, for the one log line."""
        return unavailable_cause(self)


def is_unavailable(error: BaseException) -> bool:
    """Did the database fail to answer (rather than refuse the statement)? For errors
    from anywhere: SQLAlchemy's, and ours."""
    if isinstance(error, DatabaseUnavailableError | sa_exc.TimeoutError):
        return True  # ours; the pool had no connection to give within the timeout
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:  # the connection died under the statement
        return True
    state = getattr(error.orig, "sqlstate", None)
    if isinstance(state, str):
        return state in UNAVAILABLE_SQLSTATES or state.startswith(UNAVAILABLE_SQLSTATE_CLASSES)
    return isinstance(error, sa_exc.OperationalError) and any(
        words in str(error.orig) for words in UNAVAILABLE_SQLITE
    )


def _failed_to_answer(error: BaseException) -> bool:
    """Inside :meth:`Database.read` / :meth:`Database.write` also what the drivers raise
    unwrapped: asyncpg's connect and ``command_timeout`` raise ``TimeoutError``, a refused
    or unreachable server ``OSError`` (``ConnectionRefusedError`` ...)."""
    return is_unavailable(error) or isinstance(error, TimeoutError | OSError)


def unavailable_cause(error: BaseException) -> str:
    """The name of what the driver raised (the innermost cause we wrapped)."""
    while isinstance(error, DatabaseUnavailableError) and error.__cause__ is not None:
        error = error.__cause__
    return type(error).__name__


AfterCommit = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Tx:
    """One write transaction: its session, and what to do once it has committed."""

    session: AsyncSession
    _after: list[AfterCommit] = field(default_factory=list)

    def after_commit(self, hook: AfterCommit) -> None:
        self._after.append(hook)


class Database:
    def __init__(self, engine: AsyncEngine, *, timeout: float = 5.0) -> None:
        self.engine = engine
        self.timeout = timeout  # APP_DB_TIMEOUT: also the longest wait for the write lock
        self.dialect = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._reads = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        writer = (
            engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) if self.is_sqlite else engine
        )
        self._writes = async_sessionmaker(writer, class_=AsyncSession, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with _unavailable_as_ours(), self._reads() as session, _dropped_on_outage(session):
            yield session

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with (
            _unavailable_as_ours(),
            self._one_writer(),
            self._writes() as session,
            session.begin(),
            _dropped_on_outage(session),
        ):
            tx = Tx(session)
            yield tx
        for hook in tx._after:
            try:
                await hook()
            except Exception:  # the change is committed; its announcement is best effort
                log.exception("after_commit_failed")

    @contextlib.asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        try:
            async with asyncio.timeout(self.timeout):
                await self._write_lock.acquire()
        except TimeoutError as error:
            raise DatabaseUnavailableError("the write lock was busy") from error
        try:
            yield
        finally:
            self._write_lock.release()

    async def ping(self, within: float) -> bool:
        """Does the database answer a query within ``within`` seconds (``/readyz``)?"""
        try:
            async with asyncio.timeout(within), self.read() as session:
                await session.exec(select(literal(1)))
        except (TimeoutError, DatabaseUnavailableError):
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


@contextlib.asynccontextmanager
async def _unavailable_as_ours() -> AsyncIterator[None]:
    try:
        yield
    except Exception as error:
        if isinstance(error, DatabaseUnavailableError) or not _failed_to_answer(error):
            raise
        raise DatabaseUnavailableError(type(error).__name__) from error


@contextlib.asynccontextmanager
async def _dropped_on_outage(session: AsyncSession) -> AsyncIterator[None]:
    """A statement that failed for want of an answer: its connection is dropped here, so
    that neither the rollback nor the pool's reset waits on the server once more."""
    try:
        yield
    except Exception as error:
        if _failed_to_answer(error):
            with contextlib.suppress(Exception):
                await session.invalidate()
        raise
