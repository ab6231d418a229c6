"""Who is asking, as an attacker would vary it: a ``Host`` that smuggles another name past
the host gate, and an IPv6 client that takes a fresh address of its /64 for every attempt
to get past the per-client throttles."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from litestar.types import Receive, Scope, Send

from app.config import Settings
from tests.support.browser import HTMX, Browser
from tests.support.hostile import assert_plain_page
from tests.support.settings import PASSWORD, make_settings

CLIENT_LIMIT = 12  # APP_IP_MAX_ATTEMPTS here
ACCOUNT_LIMIT = 10  # APP_LOGIN_MAX_FAILURES (the default)
STRENGTH_LIMIT = 60  # strength hints per client a minute (app/wiring.py)
WRONG = "not the password at all"
ALICE = "alice@example.com"


@pytest.fixture
def settings(tmp_path: Any, backend_overrides: dict[str, str]) -> Settings:
    return make_settings(tmp_path, ip_max_attempts=CLIENT_LIMIT, **backend_overrides)


class Peer:
    """The address the server's socket reports for the next requests (the test client
    always says ``testclient``)."""

    def __init__(self, app: Litestar, address: str) -> None:
        self.address = address
        inner = app.asgi_handler

        async def handler(scope: Scope, receive: Receive, send: Send) -> None:
            scope["client"] = (self.address, 50000)
            await inner(scope, receive, send)

        app.asgi_handler = handler


def _in_64(n: int, network: str = "2001:db8:1:2") -> str:
    """The n-th address of a /64: another interface identifier, the same subscriber."""
    groups = (n >> shift & 0xFFFF for shift in (48, 32, 16, 0))
    return f"{network}:" + ":".join(f"{group:x}" for group in groups)


def _retry_after(response: Any) -> int:
    value = response.headers.get("retry-after", "")
    assert value.isdecimal(), response.headers
    return int(value)


# --- the host gate ------------------------------------------------------------------------


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:1@evil.example",
        "testserver.local:443@evil.example",
        "[::1]:1@evil.example",
        "testserver.local:evil",
        "testserver.local:443/evil.example",
    ],
)
def test_a_host_with_more_than_a_name_and_a_port_is_a_400(
    client: TestClient[Litestar], host: str
) -> None:
    response = client.get("/login", headers={"Host": host})
    assert_plain_page(response, 400, "does not answer to that host name")


# --- IPv6 clients -------------------------------------------------------------------------


def test_sign_in_attempts_from_one_ipv6_64_count_as_one_client(
    app: Litestar, client: TestClient[Litestar]
) -> None:
    peer = Peer(app, _in_64(1))
    person = Browser(client)
    for n in range(CLIENT_LIMIT):
        peer.address = _in_64(n + 1)  # a fresh address for every attempt
        response = person.login(f"nobody{n}@example.com", WRONG)
        assert response.status_code == 401, (n, response.text)

    peer.address = _in_64(0xFFFF_FFFF_FFFF)
    throttled = person.login("someone@example.com", WRONG)
    assert_plain_page(throttled, 429, "Too many attempts")
    assert _retry_after(throttled) > 0

    peer.address = _in_64(1, "2001:db8:1:3")  # the next /64: another subscriber
    assert person.login("someone@example.com", WRONG).status_code == 401


def test_failed_sign_ins_to_one_account_from_one_ipv6_64_count_together(
    app: Litestar, client: TestClient[Litestar]
) -> None:
    peer = Peer(app, _in_64(1, "2001:db8:9:9"))
    person = Browser(client)
    assert person.register(ALICE).status_code == 303
    client.cookies.clear()
    for n in range(ACCOUNT_LIMIT):
        peer.address = _in_64(n + 1)
        assert person.login(ALICE, WRONG).status_code == 401, n

    peer.address = _in_64(ACCOUNT_LIMIT + 1)
    throttled = person.login(ALICE, PASSWORD)  # even the right password, from that /64
    assert_plain_page(throttled, 429, "Too many attempts")
    assert _retry_after(throttled) > 0
    assert person.token is None

    peer.address = _in_64(1, "2001:db8:1:3")  # the owner, from another /64
    assert person.login(ALICE, PASSWORD).status_code == 303


def test_strength_hints_for_one_ipv6_64_share_one_allowance(
    app: Litestar, client: TestClient[Litestar]
) -> None:
    peer = Peer(app, _in_64(1))
    person = Browser(client)

    def hint() -> Any:
        return person.post_form(
            "/password-strength", {"password": "short"}, form_page="/register", headers=HTMX
        )

    for n in range(STRENGTH_LIMIT):
        peer.address = _in_64(n + 1)
        assert hint().status_code == 200, n

    peer.address = _in_64(STRENGTH_LIMIT + 1)
    paused = hint()
    assert paused.status_code == 429, paused.text
    assert _retry_after(paused) > 0

    peer.address = _in_64(1, "2001:db8:1:3")
    assert hint().status_code == 200
