"""POST /logout over HTTP: the session row and the cookie go; nothing else signs a user out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import (
    HTMX,
    Browser,
    assert_deletes_cookie,
    auth_set_cookie,
    csrf_token,
    hidden_fields,
)
from tests.support.database import Database
from tests.support.settings import BASE_URL


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    assert visitor.register().status_code == 303
    return visitor


def _still_signed_in(visitor: Browser) -> bool:
    return visitor.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_logout_deletes_the_session_and_the_cookie(signed_in: Browser, db: Database) -> None:
    assert db.count("sessions") == 1

    response = signed_in.logout()

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login"
    assert db.count("sessions") == 0
    assert_deletes_cookie(response)
    assert signed_in.token is None
    dashboard = signed_in.client.get("/dashboard", follow_redirects=False)
    assert dashboard.status_code == 303
    assert dashboard.headers["location"].startswith("/login")


def test_logout_with_htmx_answers_with_hx_redirect(signed_in: Browser, db: Database) -> None:
    response = signed_in.logout(headers=HTMX)

    assert 200 <= response.status_code < 300, response.text
    assert response.headers.get("hx-redirect") == "/login"
    assert "location" not in response.headers
    assert_deletes_cookie(response)
    assert db.count("sessions") == 0


def test_get_logout_is_not_allowed_and_signs_nobody_out(signed_in: Browser, db: Database) -> None:
    response = signed_in.client.get("/logout", follow_redirects=False)

    assert response.status_code == 405
    assert auth_set_cookie(response) is None
    assert db.count("sessions") == 1
    assert _still_signed_in(signed_in)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"_csrf_token": "0" * 128}, id="forged-token"),
        pytest.param({"_csrf_token": ""}, id="empty-token"),
    ],
)
def test_logout_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    signed_in: Browser, db: Database, data: dict[str, Any]
) -> None:
    signed_in.client.get("/login")  # the browser holds a CSRF cookie; the post lacks the token
    before = db.session()

    response = signed_in.client.post("/logout", data=data, follow_redirects=False)

    assert response.status_code == 403, response.text
    assert "Max-Age=0" not in (auth_set_cookie(response) or "")
    assert db.session() == before
    assert _still_signed_in(signed_in)


def test_a_csrf_token_from_another_browser_is_refused(signed_in: Browser, db: Database) -> None:
    client = signed_in.client
    mine = dict(client.cookies.items())
    client.cookies.clear()
    token_of_another_browser = csrf_token(client.get("/login").text)
    client.cookies.clear()
    for name, value in mine.items():
        client.cookies.set(name, value)

    response = client.post(
        "/logout", data={"_csrf_token": token_of_another_browser}, follow_redirects=False
    )

    assert response.status_code == 403, response.text
    assert db.count("sessions") == 1
    assert _still_signed_in(signed_in)


FORGED = "0" * 64  # the shape of a token, not one this app issued


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    ("headers", "token", "signs_out"),
    [
        ({"Origin": BASE_URL}, "stale", True),
        ({"Sec-Fetch-Site": "same-origin"}, "stale", True),
        ({}, "stale", False),  # no sign that the page was ours
        ({"Sec-Fetch-Site": "none"}, "stale", False),  # typed or bookmarked: not a page
        ({"Origin": BASE_URL}, FORGED, False),  # ours to look at, but not a token of ours
        ({"Origin": "https://evil.example"}, "stale", False),
        ({"Sec-Fetch-Site": "cross-site"}, "stale", False),
    ],
    ids=["origin", "sec-fetch-site", "no-evidence", "fetch-none", "forged", "foreign", "cross"],
)
def test_a_sign_out_from_a_stale_page_of_ours_still_signs_out(
    signed_in: Browser, db: Database, headers: dict[str, str], token: str, signs_out: bool
) -> None:
    """A page loaded before the browser signed in again holds a token this app issued for
    a CSRF cookie since replaced: its Sign out still works, if the browser says the page
    is ours. Anything else is refused like every other stale form."""
    client = signed_in.client
    stale = csrf_token(client.get("/dashboard").text)
    assert signed_in.logout().status_code == 303
    assert signed_in.login().status_code == 303  # a new CSRF cookie: the token is stale
    before = db.session()

    response = client.post(
        "/logout",
        data={"_csrf_token": stale if token == "stale" else token},
        headers=headers,
        follow_redirects=False,
    )

    if signs_out:
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/login"
        assert_deletes_cookie(response)
        assert db.count("sessions") == 0
        assert not _still_signed_in(signed_in)
    else:
        assert response.status_code == 403, response.text
        assert db.session() == before
        assert _still_signed_in(signed_in)


def test_logout_when_not_signed_in_just_goes_to_login(visitor: Browser) -> None:
    response = visitor.logout()
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login"


def test_the_dashboards_sign_out_form_signs_out(signed_in: Browser, db: Database) -> None:
    page = signed_in.client.get("/dashboard", follow_redirects=False)
    assert page.status_code == 200
    form = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', page.text, re.S)
    assert form, "the dashboard has no sign-out form"

    response = signed_in.client.post(
        "/logout", data=hidden_fields(form.group(1)), follow_redirects=False
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login"
    assert_deletes_cookie(response)
    assert db.count("sessions") == 0
