"""Re-authentication before a change of sign-in methods ("Confirm it's you"): without a
proof younger than APP_REAUTH_TTL every such page and form sends the person to /reauth
and changes nothing; the password there brings them back with a fresh proof."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.clock import TestClock
from app.config import Settings
from tests.support.browser import HTMX, Browser, auth_set_cookie, csrf_token
from tests.support.database import Database
from tests.support.settings import PASSWORD
from tests.support.two_factor import turn_on

ADA = "ada@example.com"


@pytest.fixture
def ada(visitor: Browser) -> Browser:
    assert visitor.register(ADA).status_code == 303
    return visitor


@pytest.fixture
def stale(ada: Browser, clock: TestClock, settings: Settings) -> Browser:
    """Ada signed in a while ago: her last proof is older than APP_REAUTH_TTL."""
    clock.advance(settings.reauth_ttl + 1)
    return ada


def reauth_url(next_path: str) -> str:
    return "/reauth?next=" + quote(next_path, safe="")


@pytest.mark.backends("sqlite")  # decided from the token and the clock: no query at all
@pytest.mark.parametrize("page", ["/account/totp", "/account/recovery-codes"])
def test_a_page_that_shows_a_secret_asks_for_the_password_first(stale: Browser, page: str) -> None:
    response = stale.client.get(page, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == reauth_url(page)


@pytest.mark.backends("sqlite")  # decided from the token and the clock: no query at all
def test_the_proof_is_fresh_up_to_the_ttl(
    ada: Browser, clock: TestClock, settings: Settings
) -> None:
    clock.advance(settings.reauth_ttl)
    assert ada.client.get("/account/totp", follow_redirects=False).status_code == 200
    clock.advance(1)
    assert ada.client.get("/account/totp", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("action", "form_page"),
    [
        ("/account/totp", "/account/totp"),
        ("/account/totp/disable", "/account/totp"),
        ("/account/recovery-codes", "/account/recovery-codes"),
    ],
)
def test_a_form_posted_without_a_fresh_proof_changes_nothing(
    ada: Browser, clock: TestClock, settings: Settings, db: Database, action: str, form_page: str
) -> None:
    turn_on(ada, clock)
    before = db.dump()
    clock.advance(settings.reauth_ttl + 1)
    any_page = ada.client.get("/dashboard").text  # a CSRF token for the form
    response = ada.client.post(
        action, data={"code": "123456", "_csrf_token": csrf_token(any_page)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == reauth_url(form_page)
    after = db.dump()
    assert [
        line for line in after.splitlines() if not line.startswith(("sessions:", "auth_events:"))
    ] == [
        line for line in before.splitlines() if not line.startswith(("sessions:", "auth_events:"))
    ]


@pytest.mark.backends("sqlite")  # decided from the token and the clock: no query at all
def test_htmx_is_sent_with_hx_redirect(stale: Browser) -> None:
    response = stale.client.get("/account/totp", headers=HTMX, follow_redirects=False)
    assert response.headers.get("hx-redirect") == reauth_url("/account/totp")
    assert "location" not in response.headers


def test_the_password_brings_the_person_back_with_a_fresh_proof(
    stale: Browser, db: Database
) -> None:
    page = stale.client.get(reauth_url("/account/totp"))
    assert page.status_code == 200
    assert 'action="/reauth"' in page.text
    assert 'name="current_password"' in page.text
    assert 'name="next" value="/account/totp"' in page.text

    response = stale.post_form(
        "/reauth",
        {"current_password": PASSWORD, "next": "/account/totp"},
        form_page=reauth_url("/account/totp"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/totp"
    assert auth_set_cookie(response) is not None  # the token now says "proved just now"
    assert stale.client.get("/account/totp", follow_redirects=False).status_code == 200
    assert ("reauthenticated",) in db.rows("SELECT kind FROM auth_events")


def test_a_wrong_password_is_422_and_counts_like_the_password_form(
    stale: Browser, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures):
        wrong = stale.post_form(
            "/reauth",
            {"current_password": "not it at all", "next": "/account/totp"},
            form_page=reauth_url("/account/totp"),
            follow_redirects=False,
        )
        assert wrong.status_code == 422
        assert "That is not your password." in wrong.text
        assert auth_set_cookie(wrong) is None
    throttled = stale.post_form(
        "/reauth",
        {"current_password": PASSWORD, "next": "/account/totp"},
        form_page=reauth_url("/account/totp"),
        follow_redirects=False,
    )
    assert throttled.status_code == 429
    assert "retry-after" in throttled.headers
    other = stale.another_device()  # never against signing in
    assert other.login(ADA).status_code == 303


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_next_is_a_local_path_only(stale: Browser, target: str) -> None:
    response = stale.post_form(
        "/reauth",
        {"current_password": PASSWORD, "next": target},
        form_page="/reauth",
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/security"


def test_the_security_page_needs_no_fresh_proof(stale: Browser) -> None:
    page = stale.client.get("/account/security", follow_redirects=False)
    assert page.status_code == 200
    assert "Off." in page.text
    assert 'href="/account/totp"' in page.text
    assert 'href="/account/security"' in stale.client.get("/dashboard").text


@pytest.mark.backends("sqlite")  # decided from the token and the clock: no query at all
def test_signed_out_the_reauth_page_is_the_login_page(visitor: Browser) -> None:
    response = visitor.client.get("/reauth?next=/account/totp", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
