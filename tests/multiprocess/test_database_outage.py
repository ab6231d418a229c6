"""The database in trouble, under ``python -m app serve``: PostgreSQL crashed
(``pg_ctl -m immediate``) or frozen (``SIGSTOP`` to every process of the cluster), and a
SQLite write lock held by another process.

While the denylist mirror is current a signed-in page is served from the token alone;
past ``APP_REVOCATION_MAX_LAG`` the guard needs the session row, and then the page, a
sign-in and a sign-out each answer ``503`` with ``Retry-After`` within about
``APP_DB_TIMEOUT`` (1 s here), one warning line each in the server's log and never a
traceback. ``/readyz`` answers ``503`` meanwhile, ``/healthz`` ``ok``. Once the database
answers again, so does the same server process.

The deployment's test clock is off here: with it every request reads the shared clock's
row first, which is not what a production deployment does during an outage.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.browser import csrf_token
from tests.support.live import LiveServer
from tests.support.outage import OutagePostgres
from tests.support.remote import RemoteBrowser
from tests.support.settings import PASSWORD

TIMEOUT = 1.0  # APP_DB_TIMEOUT
# A frozen server costs a pre-ping and a new connection, each bounded by the timeout;
# then the slack of a shared CI runner.
WITHIN = 2 * TIMEOUT + 2.0
SETTLE = 20.0  # seconds to wait for something asynchronous (a mirror going stale, a restart)
LOGGED = "event='database_unavailable'"


@dataclass
class Person:
    """A browser that loaded its forms while the database was up."""

    browser: RemoteBrowser
    email: str
    csrf: str = ""

    def load_form(self) -> None:
        page = self.browser.get("/login")
        assert page.status_code == 200, page.text
        self.csrf = csrf_token(page.text)

    def login(self) -> httpx.Response:
        fields = {"email": self.email, "password": PASSWORD, "_csrf_token": self.csrf}
        return self.browser.request("POST", "/login", data=fields)

    def logout(self) -> httpx.Response:
        return self.browser.request("POST", "/logout", data={"_csrf_token": self.csrf})


def _env(database_url: str, **more: str) -> dict[str, str]:
    return {
        "APP_DATABASE_URL": database_url,
        "APP_DB_TIMEOUT": f"{TIMEOUT:g}s",
        "APP_REVOCATION_POLL": "250ms",
        "APP_REVOCATION_MAX_LAG": "1s",
        "APP_OUTBOX_POLL": "250ms",  # the sender's rounds fail too: logged, no traceback
        "APP_TEST_CLOCK": "false",
        "APP_IP_MAX_ATTEMPTS": "10000",
        **more,
    }


@pytest.fixture
def on_postgres(tmp_path: Path) -> Iterator[tuple[LiveServer, OutagePostgres]]:
    postgres = OutagePostgres()
    server = LiveServer(tmp_path / "app", workers=2, env=_env(postgres.url))
    try:
        postgres.start()
        server.start()
        yield server, postgres
    finally:
        server.stop()
        postgres.stop()


def _people(server: LiveServer) -> tuple[Person, Person]:
    """Alice is signed in; Bob has an account and is signed out; both hold a form."""
    alice = Person(RemoteBrowser(server.base_url), "alice@example.com")
    alice.browser.register(alice.email)
    bob = Person(RemoteBrowser(server.base_url), "bob@example.com")
    bob.browser.register(bob.email)
    assert bob.browser.logout().status_code == 303
    for person in (alice, bob):
        person.load_form()
    return alice, bob


def _timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _unavailable(response: httpx.Response, took: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert "try again" in response.text
    assert "Traceback" not in response.text
    assert took < WITHIN, f"{took:.1f} s"


def _until_the_guard_needs_the_row(alice: Person) -> int:
    """Poll until the page answers 503 four times running (every worker's mirror is
    stale); until then it is served from the token. How many 503s that took."""
    refused = running = 0
    deadline = time.monotonic() + SETTLE
    while running < 4:
        assert time.monotonic() < deadline, "the page never answered 503"
        response = alice.browser.dashboard()
        assert response.status_code in {200, 503}, response.text
        if response.status_code == 503:
            refused += 1
            running += 1
        else:
            running = 0
    return refused


def _answers_again(alice: Person, bob: Person, server: LiveServer) -> None:
    deadline = time.monotonic() + SETTLE
    while alice.browser.dashboard().status_code != 200:
        assert time.monotonic() < deadline, "the page still fails after the database is back"
    for _ in range(4):  # every worker
        assert alice.browser.dashboard().status_code == 200
    ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
    assert (ready.status_code, ready.text) == (200, "ready")
    assert bob.login().status_code == 303
    alice.load_form()
    assert alice.logout().status_code == 303


def _outage(server: LiveServer, alice: Person, bob: Person) -> int:
    """Everything a person and a probe see while the database does not answer; how many
    requests answered 503."""
    refused = _until_the_guard_needs_the_row(alice)
    for call in (alice.browser.dashboard, bob.login, alice.logout):
        _unavailable(*_timed(call))
    ready, took = _timed(lambda: httpx.get(f"{server.base_url}/readyz", timeout=10))
    assert ready.status_code == 503
    assert ready.headers["cache-control"] == "no-store"
    assert took < 1.0 + 1.5
    alive = httpx.get(f"{server.base_url}/healthz", timeout=5)
    assert (alive.status_code, alive.text) == (200, "ok")
    return refused + 3


def _logged_once_each(server: LiveServer, refused: int) -> None:
    log = server.log_text()
    assert "Traceback" not in log, server.log_tail()
    assert log.count(LOGGED) == refused, server.log_tail()


def test_postgresql_crashed_answers_503_then_recovers_without_a_restart(
    on_postgres: tuple[LiveServer, OutagePostgres],
) -> None:
    server, postgres = on_postgres
    alice, bob = _people(server)
    pid = server.pid

    postgres.crash()
    refused = _outage(server, alice, bob)
    _logged_once_each(server, refused)

    postgres.start_again()
    _answers_again(alice, bob, server)
    assert server.pid == pid
    _logged_once_each(server, refused)


def test_postgresql_frozen_answers_503_within_the_timeout_then_recovers(
    on_postgres: tuple[LiveServer, OutagePostgres],
) -> None:
    server, postgres = on_postgres
    alice, bob = _people(server)
    pid = server.pid

    with postgres.frozen():
        refused = _outage(server, alice, bob)
        _logged_once_each(server, refused)

    _answers_again(alice, bob, server)
    assert server.pid == pid
    _logged_once_each(server, refused)


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Iterator[LiveServer]:
    data_dir = tmp_path / "app"
    url = f"sqlite+aiosqlite:///{data_dir / 'app.db'}"
    server = LiveServer(data_dir, workers=1, env=_env(url))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process's writer, mid-transaction (this test process is not the server)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_sqlite_write_lock_held_by_another_process_answers_503_within_the_timeout(
    on_sqlite: LiveServer,
) -> None:
    server = on_sqlite
    alice, bob = _people(server)
    carol = Person(RemoteBrowser(server.base_url), "carol@example.com")
    carol.browser.register(carol.email)
    assert carol.browser.logout().status_code == 303
    carol.load_form()

    with write_lock_held(server.db_path):
        # Two sign-ins at once: one waits in SQLite's busy handler, the other for this
        # process's write lock; neither longer than about the timeout.
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda p: _timed(p.login), [bob, carol]))
        for response, took in answers:
            _unavailable(response, took)
        assert max(took for _, took in answers) > TIMEOUT * 0.9  # it did wait for the lock
        assert alice.browser.dashboard().status_code == 200  # readers are not held up
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
        assert (ready.status_code, ready.text) == (200, "ready")  # reading works

    _logged_once_each(server, 2)
    assert bob.login().status_code == 303
    assert carol.login().status_code == 303
