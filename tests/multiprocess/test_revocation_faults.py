"""When the paths that keep each worker's denylist current fail: slower, never wrong.

- The catch-up poll fails (here: the revocations table is renamed away): past
  ``APP_REVOCATION_MAX_LAG`` each worker reads the session row on every request, so a
  session that is gone is refused at once; when the poll works again, the fast path
  (the token alone) returns.
- The push channel is cut (Redis stopped; PostgreSQL's listening connection killed; the
  local sockets removed): the
  poll still brings every revocation to every worker within a second, and sign-ins that
  cannot be counted are refused (503), not waved through.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest

from app.auth.channels import local_directory
from tests.support.backends import BACKENDS, Servers
from tests.support.database import Database
from tests.support.deployments import (
    PROPAGATION,
    WORKERS,
    Deployment,
    backend_env,
    refused_everywhere_after,
)
from tests.support.live import LiveServer, ServerClock
from tests.support.remote import RemoteBrowser, process_of
from tests.support.servers import RedisServer

TOKEN_ALONE = "token alone"
ROW_CHECKED = "could not confirm"


def every_worker_shows(browser: RemoteBrowser, text: str, timeout: float = 10) -> None:
    """Poll (new connections) until each worker has served ``text`` to this browser."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = browser.dashboard()
        assert response.status_code == 200, response.text
        if text in response.text:
            seen.add(process_of(response))
            if len(seen) == WORKERS:
                return
    raise AssertionError(f"only workers {seen} showed {text!r} within {timeout} s")


@contextlib.contextmanager
def revocations_unreadable(db: Database) -> Iterator[None]:
    db.execute("ALTER TABLE revocations RENAME TO revocations_cut")
    try:
        yield
    finally:
        db.execute("ALTER TABLE revocations_cut RENAME TO revocations")


def test_a_stale_denylist_sends_every_request_to_the_session_row(deployment: Deployment) -> None:
    person = RemoteBrowser(deployment.server.base_url)
    email = deployment.new_email()
    person.register(email)
    every_worker_shows(person, TOKEN_ALONE)

    with revocations_unreadable(deployment.db):
        every_worker_shows(person, ROW_CHECKED)  # the mirror can no longer vouch
        # A revocation this deployment cannot read (another host's, say): the row is gone.
        deployment.db.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)", email
        )
        token = person.token
        assert token
        assert refused_everywhere_after(token, person, time.monotonic()) == 0

    again = RemoteBrowser(deployment.server.base_url)
    again.register(deployment.new_email())
    every_worker_shows(again, TOKEN_ALONE)  # caught up: no query per request again


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def fragile(
    request: pytest.FixtureRequest, servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Deployment, RedisServer | None]]:
    """A two-worker deployment whose push channel the test may cut: the local sockets
    (SQLite), PostgreSQL's own, or a Redis server of its own."""
    backend = BACKENDS["sqlite" if request.param == "sqlite" else "postgres"]
    data_dir = tmp_path_factory.mktemp(f"fragile-{request.param}")
    env = backend_env(backend, servers, data_dir)
    redis = RedisServer().start() if request.param == "redis" else None
    if redis is not None:
        env["APP_REVOCATION_STORE"] = redis.url
    server = LiveServer(data_dir, workers=2, env=env)
    try:
        server.start()
        clock = ServerClock(server.base_url)
        yield Deployment(backend, server, clock, Database(env["APP_DATABASE_URL"]), env), redis
        clock.close()
    finally:
        server.stop()
        if redis is not None:
            redis.stop()


def test_with_the_push_channel_cut_revocations_still_reach_every_worker(
    fragile: tuple[Deployment, RedisServer | None],
) -> None:
    deployment, redis = fragile
    device = RemoteBrowser(deployment.server.base_url)
    device.register(deployment.new_email())
    copied = device.token
    assert copied

    if redis is not None:
        redis.stop()
        refused = RemoteBrowser(deployment.server.base_url).login("who@example.com", "whatever!")
        assert refused.status_code == 503  # a sign-in that cannot be counted is not allowed
        assert "try again" in refused.text
        assert refused.headers["retry-after"]
    elif deployment.backend.database == "sqlite":  # no process can be reached any more
        for socket_file in local_directory(deployment.env["APP_DATABASE_URL"]).glob("*.sock"):
            socket_file.unlink()
    else:
        deployment.db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
        )
    every_worker_shows(device, TOKEN_ALONE)  # the fast path never needed the channel

    assert device.logout().status_code == 303
    lag = refused_everywhere_after(copied, device, time.monotonic())
    assert lag < PROPAGATION

    if redis is not None:  # restored: sign-ins are counted again
        redis.start_again()
        counted: set[str] = set()
        deadline = time.monotonic() + 10
        while len(counted) < WORKERS and time.monotonic() < deadline:
            person = RemoteBrowser(deployment.server.base_url)
            response = person.login("who@example.com", "whatever!")
            if response.status_code == 401:
                counted.add(process_of(response))
        assert len(counted) == WORKERS, "sign-ins still refused 10 s after Redis came back"
    again = RemoteBrowser(deployment.server.base_url)
    again.register(deployment.new_email())
    every_worker_shows(again, TOKEN_ALONE)
