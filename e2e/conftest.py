"""A real server process for the session, headless Chromium, the server's clock and database.

Run on its own: ``.venv/bin/pytest e2e -q`` (Playwright's sync API and other pytest
plugins do not mix well in one run: playwright-pytest #167, #240).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import AppDatabase, Credentials, LiveServer, ServerClock, new_credentials
from pages import RegisterPage
from pytest_playwright import CreateContextCallback

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_executable() -> str | None:
    """$PLAYWRIGHT_CHROMIUM_EXECUTABLE, else Debian's chromium, else Playwright's own."""
    if configured := os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE"):
        return configured
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("server"))
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
def db_path(live_server: LiveServer) -> Path:
    return live_server.db_path


@pytest.fixture(scope="session")
def app_db(db_path: Path) -> AppDatabase:
    return AppDatabase(db_path)


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
