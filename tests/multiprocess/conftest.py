"""Real deployments of two workers (``python -m app serve --workers 2``), one per backend:
SQLite (WAL), PostgreSQL, PostgreSQL + Redis. A deployment starts once per module and
backend and is shared by its tests; each test signs up a user of its own, and moves the
deployment's one clock only forward.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.backends import BACKENDS, WITH_STORES, Servers
from tests.support.database import Database
from tests.support.deployments import Deployment, backend_env
from tests.support.live import LiveServer, ServerClock


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
