"""Forward auth through a real nginx: ``deploy/nginx-gateway.conf`` in front of the app
(``python -m app serve``, 1 and 2 workers) and of an upstream of the tests' own that
echoes what it receives (tests/support/gateway.py). Everything here is what a browser
sees at the gateway, and what the protected app is told.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.support.browser import hidden_fields
from tests.support.deployments import MAX_LAG, POLL, PROPAGATION
from tests.support.gateway import GATEWAY_CONFIG, UPSTREAM_COOKIE, EchoUpstream, GatewayNginx
from tests.support.live import LiveServer, ServerClock
from tests.support.nginx import parse
from tests.support.remote import AUTH, RemoteBrowser
from tests.support.servers import free_port
from tests.support.settings import make_settings

HOUR, DAY = 3600, 86400
EVIL = "https://evil.example"


@dataclass
class Gateway:
    nginx: GatewayNginx
    app: LiveServer
    upstream: EchoUpstream
    clock: ServerClock
    workers: int
    people: int = 0

    def browser(self) -> RemoteBrowser:
        return RemoteBrowser(self.nginx.base_url)

    def person(self) -> tuple[RemoteBrowser, str]:
        """A browser signed in (registered through the gateway) as a new person."""
        self.people += 1
        email = f"gw{self.workers}-{self.people}@example.com"
        browser = self.browser()
        browser.register(email)
        assert browser.token
        return browser, email

    def user_id(self, token: str) -> int:
        """The person's id, from the app's own /api/me (behind the gateway, /api/ is the
        protected app's)."""
        response = httpx.get(f"{self.app.base_url}/api/me", cookies={AUTH: token}, timeout=10)
        assert response.status_code == 200, response.text
        return int(response.json()["id"])


@pytest.fixture(scope="module", params=[1, 2], ids=["1 worker", "2 workers"])
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    workers: int = request.param
    upstream = EchoUpstream().start()
    port = free_port()
    env = {
        "APP_TRUSTED_PROXIES": "127.0.0.1",
        "APP_BASE_URL": f"http://127.0.0.1:{port}",  # the gateway is the site
        "APP_REVOCATION_POLL": POLL,
        "APP_REVOCATION_MAX_LAG": MAX_LAG,
        "APP_IP_MAX_ATTEMPTS": "10000",  # every person here comes from 127.0.0.1
    }
    app = LiveServer(tmp_path_factory.mktemp(f"gateway-{workers}"), workers=workers, env=env)
    nginx = GatewayNginx(app.port, upstream.port, port=port)
    try:
        app.start()
        nginx.start()
    except RuntimeError as error:
        nginx.stop()
        app.stop()
        upstream.stop()
        pytest.fail(str(error), pytrace=False)
    clock = ServerClock(app.base_url)  # direct: the gateway answers /_test/ with 404
    yield Gateway(nginx, app, upstream, clock, workers)
    clock.close()
    nginx.stop()
    app.stop()
    upstream.stop()


def _auth_cookies(response: httpx.Response) -> list[str]:
    return [v for v in response.headers.get_list("set-cookie") if v.startswith(f"{AUTH}=")]


def test_signed_out_goes_to_sign_in_and_comes_back_to_the_original_url(
    gateway: Gateway,
) -> None:
    _, email = gateway.person()
    browser = gateway.browser()
    original = "/app/report?year=2027&sort=desc"

    sent_away = browser.get(original)

    assert sent_away.status_code == 303, sent_away.text
    assert (
        sent_away.headers["location"] == "/login?next=%2Fapp%2Freport%3Fyear%3D2027%26sort%3Ddesc"
    )
    assert sent_away.headers["cache-control"] == "no-store"
    assert gateway.upstream.requests_to(original) == []

    form = browser.get(sent_away.headers["location"])
    assert form.status_code == 200
    fields = hidden_fields(form.text)
    signed_in = browser.request(
        "POST",
        "/login",
        data={**fields, "email": email, "password": "correct horse battery staple"},
    )
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == original

    back = browser.get(original)
    assert back.status_code == 200, back.text
    assert back.json()["path"] == original
    got = gateway.upstream.requests_to(original)[-1]
    assert got.header("x-auth-email") == email
    assert got.header("x-auth-email-verified") == "false"


@pytest.mark.parametrize(
    ("tricky", "sign_in"),
    [
        ("//evil.example/x", "/login"),  # scheme-relative: another host
        ("/\\evil.example/x", "/login"),  # a backslash browsers read as "//"
        ("/%5Cevil.example", "/login?next=%2F%255Cevil.example"),  # a local path, encoded
    ],
)
def test_a_tricky_original_url_never_becomes_an_open_redirect(
    gateway: Gateway, tricky: str, sign_in: str
) -> None:
    url = httpx.URL(gateway.nginx.base_url).copy_with(raw_path=tricky.encode())
    with httpx.Client(timeout=10) as client:
        response = client.get(url)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == sign_in


def test_the_upstream_sees_the_identity_and_never_a_clients_own_copy(gateway: Gateway) -> None:
    browser, email = gateway.person()
    user_id = gateway.user_id(browser.token or "")
    forged = {
        "X-Auth-Email": "admin@example.com",
        "X-Auth-User-Id": "1",
        "X-Auth-Email-Verified": "true",
        "X-Original-URI": "/admin",
        "X-Original-Method": "GET",
    }

    answer = browser.get("/app/whoami", headers=forged)
    refused = gateway.browser().get("/app/whoami-anonymous", headers=forged)

    assert answer.status_code == 200, answer.text
    got = gateway.upstream.requests_to("/app/whoami")[-1]
    assert got.header("x-auth-email") == email
    assert got.header("x-auth-user-id") == str(user_id)
    assert got.header("x-auth-email-verified") == "false"
    assert got.header("x-original-uri") is None
    assert got.header("x-original-method") is None
    assert UPSTREAM_COOKIE in answer.headers.get_list("set-cookie")  # the app's own cookie
    assert refused.status_code == 303
    assert gateway.upstream.requests_to("/app/whoami-anonymous") == []


def test_renewals_and_rotations_reach_the_browser_through_the_proxy(gateway: Gateway) -> None:
    browser, _ = gateway.person()
    first = browser.token

    gateway.clock.advance(HOUR + 1)  # tier 2: re-minted
    renewed = browser.get("/app/tier-2")
    gateway.clock.advance(DAY - HOUR)  # past the token's lifetime: tier 3, rotated
    rotated = browser.get("/app/tier-3")
    after = browser.get("/app/after")

    for response in (renewed, rotated):
        assert response.status_code == 200, response.text
        assert len(_auth_cookies(response)) == 1, response.headers.get_list("set-cookie")
        assert UPSTREAM_COOKIE in response.headers.get_list("set-cookie")
    tokens = [
        first,
        *(_auth_cookies(r)[0].split(";")[0].split("=", 1)[1] for r in (renewed, rotated)),
    ]
    assert len(set(tokens)) == 3
    assert "" not in tokens
    assert browser.token == tokens[-1]
    assert after.status_code == 200
    assert _auth_cookies(after) == []


@pytest.mark.parametrize("token", ["garbage", "a.b.c.d.e"])
def test_a_bad_cookie_is_deleted_and_sent_to_sign_in(gateway: Gateway, token: str) -> None:
    browser = gateway.browser().with_token(token)

    response = browser.get("/app/")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fapp%2F"
    deletions = _auth_cookies(response)
    assert len(deletions) == 1, response.headers.get_list("set-cookie")
    assert deletions[0].startswith(f"{AUTH}=;")
    assert "Max-Age=0" in deletions[0]
    assert gateway.upstream.requests_to("/app/") == []


@pytest.mark.parametrize(
    "evidence",
    [{"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Referer": f"{EVIL}/page"}],
    ids=["origin", "sec-fetch-site", "referer"],
)
def test_a_cross_site_post_is_refused_before_the_upstream(
    gateway: Gateway, evidence: dict[str, str]
) -> None:
    browser, _ = gateway.person()
    path = f"/app/transfer-{len(gateway.upstream.received)}"

    forged = browser.request("POST", path, data={"amount": "1000"}, headers=evidence)
    signed_out = gateway.browser().request("POST", path, data={"a": "1"}, headers=evidence)
    own = browser.request(
        "POST", path, data={"amount": "1"}, headers={"Origin": gateway.nginx.base_url}
    )

    assert forged.status_code == 403, forged.text
    assert signed_out.status_code == 403, signed_out.text
    assert own.status_code == 200, own.text
    received = gateway.upstream.requests_to(path)
    assert [(got.method, got.body) for got in received] == [("POST", b"amount=1")]


def test_a_logout_is_refused_by_the_gateway_on_every_worker_within_a_second(
    gateway: Gateway,
) -> None:
    browser, _ = gateway.person()
    token = browser.token
    holder = gateway.browser().with_token(token)
    seen: set[str] = set()
    for _ in range(60):  # the token is served by every worker first
        response = holder.get("/app/poll")
        assert response.status_code == 200, response.text
        seen.add(response.headers["x-verified-by"])
        if len(seen) == gateway.workers:
            break
    assert len(seen) == gateway.workers, seen

    assert browser.logout().status_code == 303
    since = time.monotonic()

    last_served, refusals = since, dict[str, int]()
    while time.monotonic() - since < 10:
        response = gateway.browser().with_token(token).get("/app/poll")
        if response.status_code == 200:
            last_served = time.monotonic()
            refusals.clear()
            continue
        assert response.status_code == 303, response.text
        worker = response.headers["x-verified-by"]
        refusals[worker] = refusals.get(worker, 0) + 1
        if len(refusals) == gateway.workers and min(refusals.values()) >= 5:
            break
    else:
        raise AssertionError(f"not refused by every worker within 10 s: {refusals}")
    assert last_served - since <= PROPAGATION, last_served - since


# Paths of the app that the gateway does not send to it: your app's ("/", "/api/", the
# recipe), or reached otherwise (the verify subrequest, the health check, the test clock).
NOT_THROUGH_THE_GATEWAY = re.compile(
    r"^/(?:$|api/|example$|auth/verify$|healthz$|readyz$|_test/|_dev/)"
)


def test_every_page_of_the_app_is_routed_to_it_by_the_gateway(tmp_path: Path) -> None:
    """A page added to the app but not to the gateway's list would go to the protected
    app: a sign-in step that never arrives."""
    server = next(d for d in parse(GATEWAY_CONFIG.read_text()) if d.name == "http")
    main = next(d for d in server.children("server") if d.children("location"))
    patterns = [
        re.compile(location.args[1])
        for location in main.children("location")
        if location.args[0] == "~"
    ]
    app = create_app(make_settings(tmp_path))
    paths = {route.path for route in app.routes if not route.path.startswith("/static")}

    missing = {
        path
        for path in paths
        if not NOT_THROUGH_THE_GATEWAY.match(path)
        and not any(pattern.match(path.split("{")[0]) for pattern in patterns)
    }

    assert missing == set()
