"""POST /register over HTTP: who gets an account, a session and a cookie, and who does not."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import HTMX, Browser, auth_set_cookie, csrf_token, field_error
from tests.support.database import Database
from tests.support.settings import PASSWORD

ALICE = "alice@example.com"
# 64 + 1 + 189 = 254 characters: the longest address the contract accepts.
LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
TOO_LONG_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"
STRONG_12 = "qz7Vt#mr2Lp9"  # exactly the minimum length, and not guessable


def _submit(client: TestClient[Litestar], data: dict[str, str], **kwargs: Any) -> Any:
    page = client.get("/register")
    return client.post(
        "/register",
        data={**data, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
        **kwargs,
    )


def _form(email: str, password: str = PASSWORD, confirm: str | None = None) -> dict[str, str]:
    return {"email": email, "password": password, "password_confirm": confirm or password}


def test_the_register_page_is_a_plain_post_form(client: TestClient[Litestar]) -> None:
    page = client.get("/register")
    assert page.status_code == 200, page.text
    assert '<form id="register-form" method="post" action="/register"' in page.text
    for name in ("email", "password", "password_confirm"):
        assert f'name="{name}"' in page.text
    assert csrf_token(page.text)


def test_register_signs_in_and_redirects_to_the_dashboard(visitor: Browser, db: Database) -> None:
    response = visitor.register(ALICE)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    assert auth_set_cookie(response) is not None
    [(user_id, email)] = db.rows("SELECT id, email FROM users")
    assert email == ALICE
    assert db.session()["user_id"] == user_id
    dashboard = visitor.client.get("/dashboard", follow_redirects=False)
    assert dashboard.status_code == 200, dashboard.text
    assert ALICE in dashboard.text


def test_register_with_htmx_answers_with_hx_redirect_not_a_3xx(
    client: TestClient[Litestar], db: Database
) -> None:
    response = _submit(client, _form(ALICE), headers=HTMX)

    assert 200 <= response.status_code < 300, response.text
    assert response.headers.get("hx-redirect") == "/dashboard"
    assert "location" not in response.headers
    assert auth_set_cookie(response) is not None
    assert db.count("sessions") == 1


def test_the_email_is_stored_trimmed_and_lower_cased(visitor: Browser, db: Database) -> None:
    assert visitor.register("  Alice@Example.COM ").status_code == 303
    assert db.rows("SELECT email FROM users") == [(ALICE,)]


def test_the_password_is_stored_as_an_argon2id_hash(visitor: Browser, db: Database) -> None:
    visitor.register(ALICE)
    [(stored,)] = db.rows("SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_form_without_a_confirmation_field_is_accepted(
    client: TestClient[Litestar], db: Database
) -> None:
    response = _submit(client, {"email": ALICE, "password": PASSWORD})
    assert response.status_code == 303, response.text
    assert db.count("users") == 1


@pytest.mark.parametrize(
    "variant",
    [ALICE, "ALICE@EXAMPLE.COM", "  Alice@Example.com  ", "\talice@example.COM\n"],
)
def test_an_email_already_registered_gets_the_form_again_and_no_cookie(
    visitor: Browser, db: Database, variant: str
) -> None:
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()  # another person, another browser

    response = visitor.register(variant)

    assert 400 <= response.status_code < 500, response.text
    assert "already registered" in (field_error(response.text, "email") or "")
    assert auth_set_cookie(response) is None
    assert db.count("users") == 1
    assert db.count("sessions") == 1


def test_an_email_already_registered_with_htmx_gets_the_form_fragment(
    visitor: Browser, db: Database
) -> None:
    visitor.register(ALICE)
    visitor.client.cookies.clear()

    response = _submit(visitor.client, _form("Alice@example.com"), headers=HTMX)

    assert 400 <= response.status_code < 500, response.text
    assert "<html" not in response.text
    assert response.text.lstrip().startswith("<form")
    assert "already registered" in (field_error(response.text, "email") or "")
    assert "HX-Request" in response.headers.get("vary", "")
    assert auth_set_cookie(response) is None
    assert db.count("users") == 1


INVALID = [
    pytest.param(_form("not-an-email"), "email", "not a valid email", id="invalid-email"),
    pytest.param(_form("alice@"), "email", "not a valid email", id="no-domain"),
    pytest.param(_form(""), "email", "Enter your email", id="empty-email"),
    pytest.param(_form(TOO_LONG_EMAIL), "email", "too long", id="email-255-chars"),
    pytest.param(_form("a" * 300 + "@example.com"), "email", "too long", id="email-312-chars"),
    pytest.param(_form(ALICE, "x" * 11), "password", "at least 12", id="password-11-chars"),
    pytest.param(
        _form(ALICE, STRONG_12 + "x" * 1013), "password", "at most 1024", id="password-1025"
    ),
    pytest.param(
        _form(ALICE, PASSWORD, PASSWORD + "!"),
        "password_confirm",
        "do not match",
        id="confirm-mismatch",
    ),
]


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(("data", "field", "message"), INVALID)
def test_invalid_input_is_refused_next_to_the_field_and_creates_nothing(
    client: TestClient[Litestar], db: Database, data: dict[str, str], field: str, message: str
) -> None:
    response = _submit(client, data)

    assert 400 <= response.status_code < 500, response.text
    assert message in (field_error(response.text, field) or ""), response.text
    assert "<html" in response.text  # a whole page for a plain form post
    assert "HX-Request" in response.headers.get("vary", "")
    assert auth_set_cookie(response) is None
    assert db.count("users") == 0
    assert db.count("sessions") == 0


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(("data", "field", "message"), INVALID[::3])
def test_invalid_input_with_htmx_gets_only_the_form_fragment(
    client: TestClient[Litestar], db: Database, data: dict[str, str], field: str, message: str
) -> None:
    response = _submit(client, data, headers=HTMX)

    assert 400 <= response.status_code < 500, response.text
    assert "<html" not in response.text
    assert response.text.lstrip().startswith("<form")
    assert message in (field_error(response.text, field) or ""), response.text
    assert "HX-Request" in response.headers.get("vary", "")
    assert "hx-redirect" not in response.headers
    assert db.count("users") == 0
    assert db.count("sessions") == 0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_form(LONGEST_EMAIL), id="email-254-chars"),
        pytest.param(_form(ALICE, STRONG_12), id="password-12-chars"),
        pytest.param(_form(ALICE, STRONG_12 + "x" * 1012), id="password-1024-chars"),
    ],
)
def test_input_at_the_limits_is_accepted(
    client: TestClient[Litestar], db: Database, data: dict[str, str]
) -> None:
    response = _submit(client, data)
    assert response.status_code == 303, response.text
    assert db.count("users") == 1


def test_register_without_the_csrf_token_is_refused(
    client: TestClient[Litestar], db: Database
) -> None:
    client.get("/register")
    response = client.post("/register", data=_form(ALICE), follow_redirects=False)
    assert response.status_code == 403, response.text
    assert auth_set_cookie(response) is None
    assert db.count("users") == 0
