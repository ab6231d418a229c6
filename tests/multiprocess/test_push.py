"""The push path alone carries a revocation to every worker: with the catch-up poll set to
half a minute, a sign-out on one worker is refused by the other within a second. SQLite's
local datagram sockets here; PostgreSQL's NOTIFY and Redis pub/sub are timed by make
bench's propagation figure, and their failure is test_revocation_faults'."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.backends import BACKENDS, Servers
from tests.support.database import Database
from tests.support.deployments import (
    PROPAGATION,
    Deployment,
    backend_env,
    refused_everywhere_after,
    served_by_every_worker,
)
from tests.support.live import LiveServer, ServerClock
from tests.support.remote import RemoteBrowser

SLOW_POLL = "30s"  # far longer than the test: only a push can be in time


@pytest.fixture(scope="module", params=["sqlite"])
def push_only(
    request: pytest.FixtureRequest, servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    backend = BACKENDS[request.param]
    data_dir = tmp_path_factory.mktemp(f"push-{backend.name}")
    env = backend_env(backend, servers, data_dir)
    env |= {"APP_REVOCATION_POLL": SLOW_POLL, "APP_REVOCATION_MAX_LAG": "1h"}
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


def test_a_sign_out_reaches_the_other_worker_by_push_alone(push_only: Deployment) -> None:
    device = RemoteBrowser(push_only.server.base_url)
    device.register(push_only.new_email())
    copied = device.token
    assert copied
    served_by_every_worker(copied, device)
    assert device.logout().status_code == 303
    lag = refused_everywhere_after(copied, device, time.monotonic())
    assert lag < PROPAGATION, f"still served {lag:.3f} s after signing out"
