"""The deployments the integration suite runs on, and a fresh database for each test.

- ``sqlite``: the embedded default, a file in the test's own directory;
- ``postgres``: a database of its own on the run's PostgreSQL server, copied from a
  template that was migrated once;
- ``postgres+redis``: the same, with ``APP_REVOCATION_STORE=redis://...`` (throttles in
  Redis, revocations pushed over pub/sub), Redis flushed before each test.

Servers start on first use and stop at the end of the run (:class:`Servers`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from sqlalchemy.engine import make_url

from app.db import migrate
from app.db.engine import create_engine
from tests.support.servers import PostgresServer, RedisServer

__all__ = ["BACKENDS", "DEFAULT_BACKENDS", "WITH_STORES", "Backend", "Servers"]


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    database: str  # "sqlite" | "postgres"
    store: str  # "memory" | "redis"


BACKENDS = {
    "sqlite": Backend("sqlite", "sqlite", "memory"),
    "postgres": Backend("postgres", "postgres", "memory"),
    "postgres+redis": Backend("postgres+redis", "postgres", "redis"),
}
DEFAULT_BACKENDS = ("sqlite", "postgres")
WITH_STORES = ("sqlite", "postgres", "postgres+redis")  # for what the store changes
TEMPLATE = "app_template"
_names = itertools.count(1)


def _sync_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _own_database(url: str | None) -> str | None:
    """A Redis given by ``TEST_REDIS_URL`` is flushed by the tests: under pytest-xdist each
    worker takes a database of its own (the given one plus the worker's number), so
    parallel workers never flush each other's counts."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if url is None or worker == "gw0":
        return url
    parsed = urlsplit(url)
    number = int(parsed.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parsed._replace(path=f"/{number}"))


class Servers:
    """The run's PostgreSQL and Redis: started on first use, or given by the environment
    (then each pytest-xdist worker uses its own Redis database and its own PostgreSQL
    databases, which are made per test anyway)."""

    def __init__(self) -> None:
        self._postgres: PostgresServer | None = None
        self._postgres_url = os.environ.get("TEST_DATABASE_URL")
        self._redis: RedisServer | None = None
        self._redis_url = _own_database(os.environ.get("TEST_REDIS_URL"))
        self._template_ready = False
        self._sqlite_template: Path | None = None

    def postgres_url(self, database: str = "postgres") -> str:
        if self._postgres_url is None:
            self._postgres = PostgresServer().start()
            self._postgres_url = self._postgres.url
        return make_url(self._postgres_url).set(database=database).render_as_string(False)

    def redis_url(self) -> str:
        if self._redis_url is None:
            self._redis = RedisServer().start()
            self._redis_url = self._redis.url
        return self._redis_url

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_sync_url(self.postgres_url()), autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def sqlite_template(self) -> Path:
        """A SQLite file migrated once: each test starts from a copy."""
        if self._sqlite_template is None:
            path = Path(tempfile.mkdtemp(prefix="sqlite-template-")) / "app.db"
            _migrated(f"sqlite+aiosqlite:///{path}")
            self._sqlite_template = path
        return self._sqlite_template

    def new_database(self) -> str:
        """A fresh, migrated PostgreSQL database; its SQLAlchemy URL."""
        if not self._template_ready:
            self._admin(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            self._admin(f"CREATE DATABASE {TEMPLATE}")
            _migrated(self.postgres_url(TEMPLATE))
            self._template_ready = True
        name = f"test_{os.getpid()}_{next(_names)}"
        # FILE_COPY: a copy of the template's files, ~20 ms (WAL_LOG, the default: ~180 ms).
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.postgres_url(name)

    def new_blank_database(self) -> str:
        """An empty PostgreSQL database (no tables at all); its SQLAlchemy URL."""
        name = f"blank_{os.getpid()}_{next(_names)}"
        self._admin(f"CREATE DATABASE {name}")
        return self.postgres_url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def flush_redis(self) -> None:
        import redis  # noqa: PLC0415

        client: Any = redis.Redis.from_url(self.redis_url())
        client.flushall()
        client.close()

    def stop(self) -> None:
        if self._postgres is not None:
            self._postgres.stop()
        if self._redis is not None:
            self._redis.stop()
        if self._sqlite_template is not None:
            shutil.rmtree(self._sqlite_template.parent, ignore_errors=True)


def _migrated(url: str) -> None:
    """Migrate on a thread of its own: callers may run inside an event loop (Playwright)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_migrate(url))
        except BaseException as error:  # handed to the caller
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def _migrate(url: str) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
