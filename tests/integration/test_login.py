"""POST /login over HTTP: where a user is sent, what a failure reveals, and hash upgrades."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import (
    HTMX,
    Browser,
    auth_set_cookie,
    csrf_token,
    field_error,
    hidden_fields,
)
from tests.support.database import Database
from tests.support.settings import PASSWORD

ALICE = "alice@example.com"


@pytest.fixture
def alice(visitor: Browser) -> Browser:
    """Alice has an account and is not signed in on this browser."""
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    return visitor


def test_login_signs_in_and_redirects_to_the_dashboard(alice: Browser, db: Database) -> None:
    response = alice.login(ALICE)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    assert auth_set_cookie(response) is not None
    assert db.count("sessions") == 2  # the one from registering, and this one
    assert alice.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_the_email_is_matched_ignoring_case_and_spaces(alice: Browser) -> None:
    response = alice.login("  ALICE@Example.com ")
    assert response.status_code == 303, response.text
    assert auth_set_cookie(response) is not None


def test_login_with_htmx_answers_with_hx_redirect_not_a_3xx(alice: Browser) -> None:
    response = alice.login(ALICE, headers=HTMX)

    assert 200 <= response.status_code < 300, response.text
    assert response.headers.get("hx-redirect") == "/dashboard"
    assert "location" not in response.headers
    assert auth_set_cookie(response) is not None


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize("target", ["/dashboard?x=1", "/dashboard", "/somewhere/else?a=b&c=d"])
def test_a_local_next_is_where_login_sends_the_user(alice: Browser, target: str) -> None:
    response = alice.login(ALICE, next=target)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == target


def test_a_local_next_with_htmx_is_the_hx_redirect(alice: Browser) -> None:
    response = alice.login(ALICE, next="/dashboard?x=1", headers=HTMX)
    assert response.headers.get("hx-redirect") == "/dashboard?x=1"
    assert "location" not in response.headers


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/dashboard",
        "/\\evil.com",
        "/\\/evil.com",
        "\\\\evil.com",
        "https://evil.com",
        "https://evil.com/dashboard",
        "javascript:alert(1)",
        "evil.com",
        " //evil.com",
        "\t//evil.com",
        "/\t/evil.com",
        "/\r\n/evil.com",
        "/dashboard\r\nSet-Cookie: x=1",
    ],
)
def test_a_next_that_leaves_the_site_falls_back_to_the_dashboard(
    alice: Browser, target: str
) -> None:
    response = alice.login(ALICE, next=target)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"

    htmx = alice.login(ALICE, next=target, headers=HTMX)
    assert htmx.headers.get("hx-redirect") == "/dashboard"


def test_the_login_form_carries_next_through_to_the_page_first_asked_for(alice: Browser) -> None:
    client = alice.client
    refused = client.get("/dashboard?x=1", follow_redirects=False)
    assert refused.headers["location"] == "/login?next=%2Fdashboard%3Fx%3D1"

    page = client.get(refused.headers["location"])
    fields = hidden_fields(page.text)
    assert fields["next"] == "/dashboard?x=1"
    response = client.post(
        "/login", data={**fields, "email": ALICE, "password": PASSWORD}, follow_redirects=False
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard?x=1"
    assert client.get("/dashboard?x=1", follow_redirects=False).status_code == 200


def test_the_login_page_drops_a_foreign_next(alice: Browser) -> None:
    page = alice.client.get("/login?next=" + quote("//evil.com", safe=""))
    fields = hidden_fields(page.text)
    assert fields.get("next", "") == ""
    response = alice.client.post(
        "/login", data={**fields, "email": ALICE, "password": PASSWORD}, follow_redirects=False
    )
    assert response.headers["location"] == "/dashboard"


def _neutral(html: str, email: str) -> str:
    """The page without what legitimately differs: the CSRF token and the email typed."""
    return html.replace(csrf_token(html), "CSRF").replace(email, "EMAIL")


def test_wrong_password_and_unknown_email_look_the_same(alice: Browser, db: Database) -> None:
    wrong_password = alice.login(ALICE, "not the right password at all")
    unknown_email = alice.login("bob@example.com", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code
    assert 400 <= wrong_password.status_code < 500
    assert _neutral(wrong_password.text, ALICE) == _neutral(unknown_email.text, "bob@example.com")
    assert "do not match" in wrong_password.text
    for response in (wrong_password, unknown_email):
        assert auth_set_cookie(response) is None
        assert "location" not in response.headers
    assert db.count("sessions") == 1  # only the registration's
    assert alice.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_email_look_the_same_with_htmx(alice: Browser) -> None:
    wrong_password = alice.login(ALICE, "not the right password at all", headers=HTMX)
    unknown_email = alice.login("bob@example.com", PASSWORD, headers=HTMX)

    assert wrong_password.status_code == unknown_email.status_code
    assert 400 <= wrong_password.status_code < 500
    assert "<html" not in wrong_password.text
    assert wrong_password.text.lstrip().startswith("<form")
    assert "HX-Request" in wrong_password.headers.get("vary", "")
    assert _neutral(wrong_password.text, ALICE) == _neutral(unknown_email.text, "bob@example.com")
    assert auth_set_cookie(wrong_password) is None
    assert auth_set_cookie(unknown_email) is None


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("", PASSWORD, "email", "Enter your email"),
        ("not-an-email", PASSWORD, "email", "not a valid email"),
        (ALICE, "", "password", "Enter your password"),
    ],
)
def test_an_incomplete_login_form_is_answered_next_to_the_field(
    alice: Browser, email: str, password: str, field: str, message: str
) -> None:
    response = alice.login(email, password)
    assert 400 <= response.status_code < 500, response.text
    assert message in (field_error(response.text, field) or ""), response.text
    assert auth_set_cookie(response) is None


def _stored_hash(db: Database) -> str:
    [(stored,)] = db.rows("SELECT password_hash FROM users")
    return str(stored)


def test_the_stored_hash_is_upgraded_when_the_parameters_change(
    alice: Browser, settings: Settings, clock: TestClock, db: Database
) -> None:
    old_hash = _stored_hash(db)
    assert ",t=1," in old_hash

    stronger = settings.model_copy(update={"argon2_time_cost": 2})
    with serve(stronger, clock) as client:
        first = Browser(client).login(ALICE)
        assert first.status_code == 303, first.text
        new_hash = _stored_hash(db)
        assert new_hash != old_hash
        assert ",t=2," in new_hash
        assert PasswordHasher().verify(new_hash, PASSWORD)

        # Now current: the next login keeps it, and it still signs in.
        client.cookies.clear()
        again = Browser(client).login(ALICE)
        assert again.status_code == 303, again.text
        assert _stored_hash(db) == new_hash


def test_a_failed_login_never_rewrites_the_stored_hash(
    alice: Browser, settings: Settings, clock: TestClock, db: Database
) -> None:
    old_hash = _stored_hash(db)
    stronger = settings.model_copy(update={"argon2_time_cost": 2})
    with serve(stronger, clock) as client:
        response = Browser(client).login(ALICE, "not the right password at all")
        assert 400 <= response.status_code < 500
    assert _stored_hash(db) == old_hash


def test_the_login_page_is_a_plain_post_form(client: TestClient[Litestar]) -> None:
    page = client.get("/login")
    assert page.status_code == 200, page.text
    assert re.search(r'<form [^>]*method="post" action="/login"', page.text)
    assert {"_csrf_token", "next"} <= set(hidden_fields(page.text))
    assert 'name="email"' in page.text
    assert 'name="password"' in page.text
