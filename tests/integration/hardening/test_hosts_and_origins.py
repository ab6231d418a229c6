"""Only this deployment's host is served (with or without a port, in any case), and a
state change is accepted only from its own origin: another scheme, port or host, a
``null`` origin from a sandboxed frame, a cross-site or same-site fetch or a foreign
referer is refused before anything is attempted. (Red-team finding: Low.)
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.hostile import ALICE, assert_plain_page

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


@pytest.mark.parametrize("path", ["/login", "/no/such/page", "/static/app.css"])
def test_a_host_this_deployment_does_not_serve_is_a_400(
    client: TestClient[Litestar], path: str
) -> None:
    response = client.get(path, headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert "does not answer to that host name" in response.text


@pytest.mark.parametrize("host", ["testserver.local", "TESTSERVER.LOCAL", "testserver.local:443"])
def test_the_deployments_own_host_is_served_with_or_without_a_port(
    client: TestClient[Litestar], host: str
) -> None:
    assert client.get("/login", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://testserver.local"}, id="origin: another scheme"),
        pytest.param({"Origin": "https://testserver.local:8443"}, id="origin: another port"),
        pytest.param({"Origin": "https://evil.example"}, id="origin: another host"),
        pytest.param({"Origin": "null"}, id="origin: null"),
        pytest.param(
            {"Origin": "null", "Sec-Fetch-Site": "cross-site"}, id="origin: null, sandboxed frame"
        ),
        pytest.param({"Sec-Fetch-Site": "CROSS-SITE"}, id="fetch-site in capitals"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="fetch-site: a sibling"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="fetch-site: cross-site"),
        pytest.param({"Referer": "https://evil.example/page"}, id="no origin, foreign referer"),
    ],
)
def test_a_state_change_from_another_origin_is_refused(
    visitor: Browser, headers: dict[str, str], db: Database
) -> None:
    response = visitor.login(ALICE, headers=headers)
    assert_plain_page(response, 403, "refused")
    assert db.count("auth_events") == 0  # nothing was attempted


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://testserver.local"}, id="our origin"),
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="fetch-site: same-origin"),
        pytest.param({"Referer": "https://testserver.local/login"}, id="our referer"),
        pytest.param(  # what Chromium sends from a page with Referrer-Policy: no-referrer
            {"Origin": "null", "Sec-Fetch-Site": "same-origin"}, id="our no-referrer page"
        ),
    ],
)
def test_a_state_change_from_our_own_origin_is_accepted(
    visitor: Browser, headers: dict[str, str]
) -> None:
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    assert visitor.login(ALICE, headers=headers).status_code == 303
