"""``/auth/verify``, the forward-auth answer a proxy asks for, through Litestar's test
client: the same guard as every page (tiers, revocation, clock), at most one cookie,
the identity in headers, and the app's own cross-site judgement of the forwarded request.

Through a real nginx: tests/multiprocess/test_gateway.py. Defaults: access window 1 h,
token 1 d, session idle 14 d.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from redis import Redis

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import (
    Browser,
    assert_deletes_cookie,
    cookie_value,
    present,
    set_cookie_headers,
)
from tests.support.database import Database
from tests.support.settings import BASE_URL, make_settings
from tests.support.statements import StatementLog

HOUR, DAY = 3600, 86400
ACCESS, TOKEN = HOUR, DAY
IDENTITY = ("x-auth-user-id", "x-auth-email", "x-auth-email-verified")
EVIL = "https://evil.example"

# The guard's tiers are proved on every backend (test_guard_tiers.py); this route runs
# that same guard, so one backend shows it here.
pytestmark = pytest.mark.backends("sqlite")  # the route adds no backend-specific code


def _verify(client: TestClient[Litestar], **headers: str) -> Any:
    return client.get("/auth/verify", headers=headers)


def _identity(response: Any) -> dict[str, str]:
    return {name: response.headers[name] for name in IDENTITY if name in response.headers}


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    assert visitor.register("alice@example.com").status_code == 303
    # The browser as a proxy's subrequest presents it: the auth cookie alone (the CSRF
    # cookie a page handed out would only hide whether /auth/verify hands one out).
    present(visitor.client, visitor.token)
    return visitor


def test_signed_in_tier_1_answers_200_with_the_identity_and_no_cookie(
    signed_in: Browser, clock: TestClock, statements: StatementLog, db: Database
) -> None:
    clock.advance(ACCESS - 1)
    statements.reset()

    response = _verify(signed_in.client, **{"X-Original-URI": "/app/page?x=1"})

    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    user_id = db.rows("SELECT id FROM users WHERE email = 'alice@example.com'")[0][0]
    assert _identity(response) == {
        "x-auth-user-id": str(user_id),
        "x-auth-email": "alice@example.com",
        "x-auth-email-verified": "false",
    }
    assert set_cookie_headers(response) == []
    assert statements.statements == []


def test_head_answers_like_get(signed_in: Browser) -> None:
    response = signed_in.client.head("/auth/verify")

    assert response.status_code == 200
    assert response.headers["x-auth-email"] == "alice@example.com"
    assert set_cookie_headers(response) == []


@pytest.mark.parametrize("elapsed", [ACCESS + 1, TOKEN + 1], ids=["tier 2", "tier 3"])
def test_a_renewal_or_rotation_carries_exactly_one_cookie_the_new_token(
    signed_in: Browser, clock: TestClock, statements: StatementLog, elapsed: int
) -> None:
    old = signed_in.token
    clock.advance(elapsed)
    statements.reset()

    response = _verify(signed_in.client)

    assert response.status_code == 200, response.text
    cookies = set_cookie_headers(response)
    assert len(cookies) == 1, cookies
    assert cookies[0].startswith("__Host-auth=")
    new = cookie_value(cookies[0])
    assert new not in {"", old}
    if elapsed < TOKEN:  # tier 2: no database
        assert statements.statements == []
    else:  # tier 3: the session row, read and rotated
        assert statements.touching("sessions") != []
    present(signed_in.client, new)
    again = _verify(signed_in.client)
    assert again.status_code == 200
    assert set_cookie_headers(again) == []


@pytest.mark.backends("postgres+redis")  # Redis's own command counter is the witness
def test_with_redis_tiers_1_and_2_send_redis_nothing(
    signed_in: Browser, clock: TestClock, settings: Settings
) -> None:
    redis = Redis.from_url(settings.revocation_store)
    try:
        before = int(redis.info("stats")["total_commands_processed"])
        for elapsed in (1, ACCESS + 1):  # tier 1, then tier 2
            clock.advance(elapsed)
            assert _verify(signed_in.client).status_code == 200
        after = int(redis.info("stats")["total_commands_processed"])
    finally:
        redis.close()
    assert after - before == 1  # the first INFO itself, nothing from the app


def test_no_cookie_is_401_with_no_identity_and_no_cookie_at_all(visitor: Browser) -> None:
    response = _verify(visitor.client, **{"X-Original-URI": "/app/"})

    assert response.status_code == 401, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers
    assert _identity(response) == {}
    assert set_cookie_headers(response) == []  # no CSRF cookie either


@pytest.mark.parametrize("token", ["garbage", "a.b.c.d.e", "x" * 600])
def test_a_bad_cookie_is_401_and_its_one_cookie_deletes_it(visitor: Browser, token: str) -> None:
    present(visitor.client, token)

    response = _verify(visitor.client)

    assert response.status_code == 401
    assert _identity(response) == {}
    assert len(set_cookie_headers(response)) == 1, set_cookie_headers(response)
    assert_deletes_cookie(response)


def test_an_expired_session_is_401_and_only_the_auth_cookie_goes(
    signed_in: Browser, clock: TestClock
) -> None:
    clock.advance(15 * DAY)  # past the idle timeout: a page would also set a notice cookie

    response = _verify(signed_in.client)

    assert response.status_code == 401
    assert len(set_cookie_headers(response)) == 1, set_cookie_headers(response)
    assert_deletes_cookie(response)


def test_a_session_signed_out_elsewhere_is_refused_at_once(signed_in: Browser) -> None:
    token = signed_in.token
    other = signed_in.another_device()
    present(other.client, token)
    assert other.logout().status_code == 303  # the same session, signed out on "another tab"

    present(signed_in.client, token)
    response = _verify(signed_in.client)

    assert response.status_code == 401
    assert _identity(response) == {}
    assert_deletes_cookie(response)


CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": EVIL},
    {"Origin": "null"},
    {"Referer": f"{EVIL}/form"},
]


def test_an_unsafe_method_from_another_site_is_403(signed_in: Browser) -> None:
    """Every unsafe method, as nginx (X-Original-Method) and as Traefik or Caddy
    (X-Forwarded-Method) name it, with each kind of evidence a browser gives."""
    answers = {
        (name, method, str(evidence)): _verify(
            signed_in.client, **{name: method, **evidence}
        ).status_code
        for name in ("X-Original-Method", "X-Forwarded-Method")
        for method in ("POST", "PUT", "PATCH", "DELETE", "post")
        for evidence in CROSS_SITE
    }

    assert {case for case, status in answers.items() if status != 403} == set()
    assert (
        _identity(_verify(signed_in.client, **{"X-Original-Method": "POST", "Origin": EVIL})) == {}
    )


SAME_SITE = [
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # typed into the address bar
    {"Origin": BASE_URL},
    {"Referer": f"{BASE_URL}/app/form"},
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    {},  # a client that sends none (curl): no browser evidence to refuse it on
]


def test_an_unsafe_method_from_this_site_is_let_through(signed_in: Browser) -> None:
    answers = [
        _verify(signed_in.client, **{"X-Original-Method": "POST", **evidence})
        for evidence in SAME_SITE
    ]

    assert [a.status_code for a in answers] == [200] * len(SAME_SITE)
    assert {a.headers["x-auth-email"] for a in answers} == {"alice@example.com"}


def test_a_safe_method_from_another_site_is_judged_by_its_cookie_alone(
    signed_in: Browser,
) -> None:
    """A link from another site to the protected app is an ordinary navigation."""
    cross = {"Sec-Fetch-Site": "cross-site", "Origin": EVIL}
    answers = [
        _verify(signed_in.client, **{"X-Original-Method": method, **cross}).status_code
        for method in ("GET", "HEAD", "OPTIONS")
    ]

    assert answers == [200, 200, 200]


def test_a_cross_site_post_without_a_cookie_is_still_403(visitor: Browser) -> None:
    response = _verify(visitor.client, **{"X-Original-Method": "POST", "Origin": EVIL})

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("headers", "sign_in"),
    [
        (
            {"X-Original-URI": "/app/r?y=2027&s=a b"},
            "/login?next=%2Fapp%2Fr%3Fy%3D2027%26s%3Da%2520b",
        ),
        ({"X-Forwarded-Uri": "/traefik/page"}, "/login?next=%2Ftraefik%2Fpage"),
        ({"X-Original-URI": "//evil.example/x"}, "/login"),
        ({"X-Original-URI": "https://evil.example/x"}, "/login"),
        ({"X-Original-URI": "/\\evil.example"}, "/login"),
        ({}, "/login"),
    ],
    ids=["nginx", "traefik", "scheme-relative", "absolute", "backslash", "none"],
)
def test_the_401_says_where_to_sign_in_with_a_local_next_only(
    visitor: Browser, headers: dict[str, str], sign_in: str
) -> None:
    response = _verify(visitor.client, **headers)

    assert response.status_code == 401
    assert response.headers["x-sign-in"] == sign_in


def test_a_signed_in_answer_says_nothing_about_signing_in(signed_in: Browser) -> None:
    response = _verify(signed_in.client, **{"X-Original-URI": "/app/"})

    assert response.status_code == 200
    assert "x-sign-in" not in response.headers


def test_several_auth_cookies_get_one_deletion_where_a_page_gets_one_per_path(
    tmp_path: Path, clock: TestClock
) -> None:
    """Without ``__Host-`` (plain HTTP), a page deletes a planted cookie on every path it
    may sit on; the verify answer keeps the first deletion only (on "/"), because a proxy
    passes on one ``Set-Cookie``."""
    settings = make_settings(tmp_path, cookie_secure=False)
    planted = {"Cookie": "auth=one; auth=two"}
    with serve(settings, clock, base_url="http://testserver.local") as client:
        page = client.get("/account/password", headers=planted, follow_redirects=False)
        verify = client.get("/auth/verify", headers=planted)

    assert page.status_code == 303
    assert len([h for h in set_cookie_headers(page) if h.startswith("auth=")]) == 3
    assert verify.status_code == 401
    assert len(set_cookie_headers(verify)) == 1, set_cookie_headers(verify)
    assert_deletes_cookie(verify, "auth", secure=False)
