"""Real server processes, headless Chromium, the deployment's clock and database.

Run on its own: ``.venv/bin/pytest e2e -q`` (Playwright's sync API and other pytest
plugins do not mix well in one run: playwright-pytest #167, #240).

Every test runs against the embedded deployment (one process, SQLite). A module marked
``@pytest.mark.deployments("sqlite", "postgres-2-workers")`` runs against each named
deployment; a deployment starts once and serves every test that asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import AppDatabase, Credentials, LiveServer, ServerClock, new_credentials
from pages import RegisterPage
from pytest_playwright import CreateContextCallback

from tests.support.backends import Servers
from tests.support.smtp import MailCatcher

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass(frozen=True)
class Deployment:
    database: str  # "sqlite" | "postgres"
    workers: int


DEPLOYMENTS = {
    "sqlite": Deployment("sqlite", 1),
    "postgres-2-workers": Deployment("postgres", 2),
}


def _chromium_executable() -> str | None:
    """$PLAYWRIGHT_CHROMIUM_EXECUTABLE, else Debian's chromium, else Playwright's own."""
    if configured := os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE"):
        return configured
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deployments(*names): the deployments (e2e/conftest.py) a module runs on"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "deployment" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("deployments")
    names = marker.args if marker is not None else ("sqlite",)
    metafunc.parametrize("deployment", list(names), indirect=True, scope="session")


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def mail() -> Iterator[MailCatcher]:
    """The SMTP server every deployment sends to (each test's user has an address of its
    own, so a test reads only its own mail)."""
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def deployment(request: pytest.FixtureRequest) -> Deployment:
    return DEPLOYMENTS[request.param]


@pytest.fixture(scope="session")
def live_server(
    deployment: Deployment,
    servers: Servers,
    mail: MailCatcher,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    env = {"APP_SMTP_URL": mail.url, "APP_OUTBOX_POLL": "0.1"}
    if deployment.database == "postgres":
        env["APP_DATABASE_URL"] = servers.new_database()
    server = LiveServer(
        tmp_path_factory.mktemp("server"),
        workers=deployment.workers,
        env=env,
        host_name="localhost",  # passkeys need a domain name: served as http://localhost:<port>
    )
    try:
        server.start()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright's fixture: every ``page.goto("/...")`` goes to the live server."""
    return live_server.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        "headless": True,
        **browser_type_launch_args,  # --headed still wins
        "executable_path": _chromium_executable(),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def app_db(live_server: LiveServer) -> AppDatabase:
    url = live_server.extra_env.get(
        "APP_DATABASE_URL", f"sqlite+aiosqlite:///{live_server.db_path}"
    )
    return AppDatabase(url)


@pytest.fixture(scope="session")
def server_clock(live_server: LiveServer) -> Iterator[ServerClock]:
    clock = ServerClock(live_server.base_url)
    yield clock
    clock.close()


@pytest.fixture
def credentials() -> Credentials:
    """A fresh, unregistered user."""
    return new_credentials()


@pytest.fixture
def account(new_context: CreateContextCallback, credentials: Credentials) -> Credentials:
    """A registered user, signed in nowhere: registered in a browser context of its own."""
    context = new_context()
    RegisterPage(context.new_page()).open().register(credentials).wait_until_loaded()
    context.close()
    return credentials
