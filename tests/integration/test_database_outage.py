"""A database that is down, frozen or locked: ``503`` + ``Retry-After`` within about
``APP_DB_TIMEOUT``, one warning line per request and never a traceback; ``/readyz`` says
so while ``/healthz`` stays ``ok``; the next request after the database is back works.

The app runs in this process (Litestar's test client) on a PostgreSQL cluster of this
module's own, which the tests crash and start again; the SQLite case holds the database's
write lock from another connection. ``tests/multiprocess/test_database_outage.py`` does
the same to ``python -m app serve`` and also freezes the server.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar, Request, get
from litestar.testing import TestClient
from sqlalchemy import literal
from sqlmodel import select

from app.clock import TestClock
from app.main import create_app
from tests.support.browser import Browser
from tests.support.outage import OutagePostgres
from tests.support.settings import BASE_URL, START, make_settings

TIMEOUT = 1.0  # APP_DB_TIMEOUT here
WITHIN = 3 * TIMEOUT + 1.5  # a pre-ping and a connect, each bounded; and a slow runner
UNAVAILABLE = "event='database_unavailable'"


@pytest.fixture(scope="module")
def postgres() -> Iterator[OutagePostgres]:
    server = OutagePostgres()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: OutagePostgres, request: pytest.FixtureRequest) -> str:
    name = "outage_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{postgres.port}/postgres", autocommit=True
    ) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/{name}"


async def _probe(request: Request[Any, Any, Any]) -> str:
    """An API route that needs the database (the app has none of its own yet)."""
    async with request.app.state.core.db.read() as session:
        await session.exec(select(literal(1)))
    return "fine"


def _app(tmp_path: Path, clock: TestClock, **overrides: Any) -> Litestar:
    app = create_app(make_settings(tmp_path, db_timeout=TIMEOUT, **overrides), clock=clock)
    app.register(get("/api/probe", media_type="text/plain")(_probe))
    return app


@pytest.fixture
def on_postgres(
    tmp_path: Path, database_url: str, postgres: OutagePostgres
) -> Iterator[tuple[TestClient[Litestar], TestClock]]:
    clock = TestClock(START)
    with TestClient(_app(tmp_path, clock, database_url=database_url), base_url=BASE_URL) as c:
        try:
            yield c, clock
        finally:
            _running(postgres)


def _running(postgres: OutagePostgres) -> None:
    if not (postgres.data / "postmaster.pid").exists():
        postgres.start_again()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if UNAVAILABLE in r.getMessage()]


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert "Traceback" not in caplog.text, caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _is_unavailable_page(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert "try again" in response.text
    assert "Traceback" not in response.text


def test_readyz_says_whether_the_database_answers_healthz_that_the_process_does(
    on_postgres: tuple[TestClient[Litestar], TestClock], postgres: OutagePostgres
) -> None:
    client, _ = on_postgres
    ready = client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")
    assert ready.headers["cache-control"] == "no-store"
    assert client.head("/readyz").status_code == 200

    postgres.crash()
    down, took = _timed(lambda: client.get("/readyz"))
    assert down.status_code == 503, down.text
    assert down.headers["cache-control"] == "no-store"
    assert took < 1.0 + 1.0  # "within a second", and a slow runner
    assert client.head("/readyz").status_code == 503
    alive = client.get("/healthz")
    assert (alive.status_code, alive.text) == (200, "ok")

    postgres.start_again()  # no restart of the app
    again = client.get("/readyz")
    assert (again.status_code, again.text) == (200, "ready")


def test_the_guard_reading_a_session_of_a_dead_database_answers_503_once_logged(
    on_postgres: tuple[TestClient[Litestar], TestClock],
    postgres: OutagePostgres,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, clock = on_postgres
    alice = Browser(client)
    assert alice.register().status_code == 303
    clock.advance(client.app.state.settings.token_ttl + 1)  # tier 3: the session row

    postgres.crash()
    with caplog.at_level(logging.WARNING, logger="app"):
        response, took = _timed(lambda: client.get("/dashboard"))
        _is_unavailable_page(response)
        assert took < WITHIN
        htmx = client.get("/sessions", headers={"HX-Request": "true"})
        assert htmx.status_code == 503
    assert len(_warnings(caplog)) == 2, caplog.text
    assert "path='/dashboard'" in _warnings(caplog)[0]
    assert "error='ConnectionRefusedError'" in _warnings(caplog)[0]
    _no_traceback(caplog)

    postgres.start_again()
    assert client.get("/dashboard").status_code == 200


def test_login_logout_and_the_api_answer_503_while_the_database_is_down(
    on_postgres: tuple[TestClient[Litestar], TestClock],
    postgres: OutagePostgres,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = on_postgres
    alice = Browser(client)
    assert alice.register().status_code == 303
    bob = alice.another_device()

    postgres.crash()
    with caplog.at_level(logging.WARNING, logger="app"):
        _is_unavailable_page(bob.login())
        _is_unavailable_page(alice.logout())
        api = client.get("/api/probe")
        assert api.status_code == 503
        assert api.json() == {"error": "unavailable"}
        assert api.headers["retry-after"]
    assert len(_warnings(caplog)) == 3, caplog.text
    _no_traceback(caplog)

    postgres.start_again()
    assert bob.login().status_code == 303
    assert alice.logout().status_code == 303
    assert client.get("/api/probe").text == "fine"


def test_a_sqlite_write_lock_held_elsewhere_answers_503_within_the_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = TestClock(START)
    with TestClient(_app(tmp_path, clock), base_url=BASE_URL) as client:
        alice = Browser(client)
        assert alice.register().status_code == 303
        bob = alice.another_device()
        holder = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
        try:
            with caplog.at_level(logging.WARNING, logger="app"):
                response, took = _timed(bob.login)
                _is_unavailable_page(response)
                assert TIMEOUT * 0.9 < took < TIMEOUT + 2.0
                # Reads are not held up by a writer (WAL).
                assert client.get("/dashboard").status_code == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert len(_warnings(caplog)) == 1, caplog.text
        assert "error='OperationalError'" in _warnings(caplog)[0]
        _no_traceback(caplog)
        assert bob.login().status_code == 303
