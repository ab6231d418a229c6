"""The app through Litestar's test client, on every backend: a fresh database per test, a
test clock, cheap argon2. The base URL is https so that ``Secure`` / ``__Host-`` cookies
travel as in a browser.

Every test that uses the app runs once per backend in ``DEFAULT_BACKENDS``; a module or
test narrows or widens that with ``@pytest.mark.backends(...)`` (for example
``WITH_STORES`` where the Redis store changes the code path).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.main import create_app
from tests.support.backends import BACKENDS, DEFAULT_BACKENDS, Backend, Servers
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.settings import BASE_URL, START, make_settings
from tests.support.smtp import MailCatcher
from tests.support.statements import StatementLog, recording


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker is not None else DEFAULT_BACKENDS
    metafunc.parametrize(
        "backend", [BACKENDS[name] for name in names], ids=list(names), indirect=True
    )


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Backend:
    chosen: Backend = request.param
    return chosen


@pytest.fixture
def backend_overrides(
    backend: Backend, servers: Servers, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The settings that put the app on this backend (a fresh database each time)."""
    if backend.database == "sqlite":
        shutil.copyfile(servers.sqlite_template(), tmp_path / "app.db")
        (tmp_path / "app.db").chmod(0o600)
        yield {}
        return
    url = servers.new_database()
    overrides = {"database_url": url}
    if backend.store == "redis":
        servers.flush_redis()
        overrides["revocation_store"] = servers.redis_url()
    try:
        yield overrides
    finally:
        servers.drop_database(url)


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START)


@pytest.fixture
def settings(tmp_path: Path, backend_overrides: dict[str, str]) -> Settings:
    return make_settings(tmp_path, **backend_overrides)


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    """A real SMTP server of this test's own."""
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def mail_settings(tmp_path: Path, backend_overrides: dict[str, str], mail: MailCatcher) -> Settings:
    """Settings whose mail goes to ``mail``, sent at once (a module that sends mail makes
    these its ``settings``)."""
    return make_settings(tmp_path, smtp_url=mail.url, outbox_poll=0.05, **backend_overrides)


@pytest.fixture
def app(settings: Settings, clock: TestClock) -> Litestar:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def statements(app: Litestar, client: TestClient[Litestar]) -> Iterator[StatementLog]:
    with recording(app.state.engine) as log:
        yield log


@pytest.fixture
def visitor(client: TestClient[Litestar]) -> Browser:
    return Browser(client)


@pytest.fixture
def db(settings: Settings, client: TestClient[Litestar]) -> Database:
    return Database.of(settings)
