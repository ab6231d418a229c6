"""Two hosts behind one load balancer: separate data directories, one PostgreSQL
database (and Redis), the token keys and the CSRF secret shared through the settings.
They serve one user, accept each other's forms and honour each other's logouts."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.security.keys import new_key
from tests.support.backends import BACKENDS, Servers
from tests.support.browser import csrf_token
from tests.support.deployments import PROPAGATION, backend_env
from tests.support.live import LiveServer
from tests.support.remote import RemoteBrowser


@dataclass
class Hosts:
    a: LiveServer
    b: LiveServer


@pytest.fixture(scope="module", params=["postgres", "postgres+redis"])
def hosts(
    request: pytest.FixtureRequest, servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hosts]:
    backend = BACKENDS[request.param]
    shared = backend_env(backend, servers, tmp_path_factory.mktemp("unused"))
    shared["APP_KEYS"] = json.dumps({"keys": [new_key(int(time.time()))]})
    shared["APP_CSRF_SECRET"] = secrets.token_urlsafe(32)
    started: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            server = LiveServer(tmp_path_factory.mktemp(f"host-{name}"), env=shared)
            started.append(server.start())
        yield Hosts(*started)
    finally:
        for server in started:
            server.stop()


def test_a_session_made_on_one_host_is_served_by_the_other(hosts: Hosts) -> None:
    on_a = RemoteBrowser(hosts.a.base_url)
    on_a.register(f"{secrets.token_hex(6)}@example.com")
    on_b = RemoteBrowser(hosts.b.base_url)
    on_b.cookies = on_a.cookies
    response = on_b.dashboard()
    assert response.status_code == 200, response.text
    assert "token alone" in response.text


def test_a_form_from_one_host_is_accepted_by_the_other_and_its_logout_holds_on_both(
    hosts: Hosts,
) -> None:
    on_a = RemoteBrowser(hosts.a.base_url)
    on_a.register(f"{secrets.token_hex(6)}@example.com")
    copied = on_a.token
    assert copied
    form = on_a.get("/login")  # the form, and its CSRF cookie, from host A
    on_b = RemoteBrowser(hosts.b.base_url)
    on_b.cookies = on_a.cookies
    since = time.monotonic()
    logout = on_b.request("POST", "/logout", data={"_csrf_token": csrf_token(form.text)})
    assert logout.status_code == 303, logout.text  # B accepted A's form

    deadline = since + 10
    while time.monotonic() < deadline:
        if on_a.with_token(copied).dashboard().status_code == 303:
            break
    lag = time.monotonic() - since
    assert lag < PROPAGATION, f"host A still served the token {lag:.3f} s after B's logout"


def test_neither_host_warns_about_local_secrets(hosts: Hosts) -> None:
    for server in (hosts.a, hosts.b):
        assert "secrets_from_local_files" not in server.log_text()
