"""Real deployments of two workers (``python -m app serve --workers 2``), one per backend:
SQLite (WAL), PostgreSQL, PostgreSQL + Redis. A deployment starts once per module and
backend and is shared by its tests; each test signs up a user of its own, and moves the
deployment's one clock only forward.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.backends import BACKENDS, WITH_STORES, Backend, Servers
from tests.support.database import Database
from tests.support.live import LiveServer, ServerClock

_people = itertools.count(1)

# Fast enough to see a revocation travel; the bound after which a worker that cannot
# confirm its denylist reads the session row instead.
POLL = "250ms"
MAX_LAG = "1s"


@dataclass
class Deployment:
    backend: Backend
    server: LiveServer
    clock: ServerClock
    db: Database
    env: dict[str, str]

    def new_email(self) -> str:
        return f"person{next(_people)}@example.com"


def backend_env(backend: Backend, servers: Servers, data_dir: Path) -> dict[str, str]:
    env = {
        "APP_REVOCATION_POLL": POLL,
        "APP_REVOCATION_MAX_LAG": MAX_LAG,
        "APP_IP_MAX_ATTEMPTS": "10000",  # every person here comes from 127.0.0.1
    }
    if backend.database == "postgres":
        env["APP_DATABASE_URL"] = servers.new_database()
    else:
        env["APP_DATABASE_URL"] = f"sqlite+aiosqlite:///{data_dir / 'app.db'}"
    if backend.store == "redis":
        env["APP_REVOCATION_STORE"] = servers.redis_url()
    return env


@pytest.fixture(scope="module", params=WITH_STORES)
def deployment(
    request: pytest.FixtureRequest, servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    backend = BACKENDS[request.param]
    data_dir = tmp_path_factory.mktemp(f"deployment-{backend.name}")
    env = backend_env(backend, servers, data_dir)
    server = LiveServer(data_dir, workers=2, env=env)
    try:
        server.start()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    clock = ServerClock(server.base_url)
    yield Deployment(backend, server, clock, Database(env["APP_DATABASE_URL"]), env)
    clock.close()
    server.stop()
