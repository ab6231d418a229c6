"""The guarded JSON API (``/api/``) and the README's recipe (app/web/routes/example.py):
what a script or a single-page app sees - JSON, never a redirect or an HTML page - and
what a person sees on the recipe's page."""

from __future__ import annotations

from typing import Any

import pytest

from app.clock import TestClock
from tests.support.browser import Browser, auth_set_cookie, cookie_value, csrf_token, present
from tests.support.database import Database
from tests.support.settings import BASE_URL

HOUR = 3600
EVIL = "https://evil.example"

# The API is the guard plus a handler; the guard's backends are proved elsewhere.
pytestmark = pytest.mark.backends("sqlite")  # nothing here depends on the backend


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    assert visitor.register("alice@example.com").status_code == 303
    return visitor


def _not_signed_in(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"error": "not_signed_in"}
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert "location" not in response.headers


def test_me_says_who_and_which_session(signed_in: Browser, db: Database) -> None:
    response = signed_in.client.get("/api/me")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    row = db.session()
    user_id = db.rows("SELECT id FROM users WHERE email = 'alice@example.com'")[0][0]
    assert response.json() == {
        "id": user_id,
        "email": "alice@example.com",
        "email_verified": False,
        "session": {
            "id": row["public_id"],
            "signed_in_at": "2027-01-15T08:00:00Z",  # START
            "expires_at": "2027-01-29T08:00:00Z",  # + 14 days idle
        },
    }
    assert row["public_id"] not in (signed_in.token or "")  # the token stays opaque


def test_me_renews_the_cookie_on_the_json_answer(signed_in: Browser, clock: TestClock) -> None:
    old = signed_in.token
    clock.advance(HOUR + 1)

    response = signed_in.client.get("/api/me")

    assert response.status_code == 200
    header = auth_set_cookie(response)
    assert header is not None
    assert cookie_value(header) not in {"", old}


def test_signed_out_api_is_401_json_never_a_redirect(visitor: Browser) -> None:
    _not_signed_in(visitor.client.get("/api/me", follow_redirects=False))
    _not_signed_in(visitor.client.get("/api/example", follow_redirects=False))


def test_a_bad_cookie_on_the_api_is_401_json_and_the_cookie_goes(visitor: Browser) -> None:
    present(visitor.client, "not-a-token")

    response = visitor.client.get("/api/me", follow_redirects=False)

    _not_signed_in(response)
    assert auth_set_cookie(response) is not None


@pytest.mark.parametrize("accept", ["application/json", "application/json, */*;q=0.1"])
def test_a_page_asked_for_json_answers_401_json(visitor: Browser, accept: str) -> None:
    response = visitor.client.get("/dashboard", headers={"Accept": accept}, follow_redirects=False)

    _not_signed_in(response)


@pytest.mark.parametrize("accept", ["text/html,application/json", "*/*", "text/html"])
def test_a_page_asked_for_html_still_redirects_to_login(visitor: Browser, accept: str) -> None:
    response = visitor.client.get("/sessions", headers={"Accept": accept}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsessions"


def test_an_unknown_api_route_is_404_json(signed_in: Browser, visitor: Browser) -> None:
    response = signed_in.client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
    assert response.headers["cache-control"] == "no-store"


def test_a_wrong_method_on_the_api_is_405_json(signed_in: Browser) -> None:
    response = signed_in.client.delete("/api/me")

    assert response.status_code == 405
    assert response.json() == {"error": "method_not_allowed"}


def _token(browser: Browser) -> str:
    return csrf_token(browser.client.get("/example").text)


@pytest.mark.parametrize(
    "evidence",
    [{"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Referer": f"{EVIL}/x"}],
    ids=["origin", "sec-fetch-site", "referer"],
)
def test_a_cross_site_unsafe_call_is_403_json(signed_in: Browser, evidence: dict[str, str]) -> None:
    token = _token(signed_in)
    response = signed_in.client.post(
        "/api/example", json={"message": "hi"}, headers={"X-CSRFToken": token, **evidence}
    )

    assert response.status_code == 403, response.text
    assert response.json() == {"error": "forbidden"}


def test_an_unsafe_call_without_the_csrf_token_is_403_json(signed_in: Browser) -> None:
    response = signed_in.client.post(
        "/api/example", json={"message": "hi"}, headers={"Origin": BASE_URL}
    )

    assert response.status_code == 403, response.text
    assert response.json() == {"error": "forbidden"}


def test_a_signed_out_unsafe_call_is_401_json(visitor: Browser) -> None:
    _not_signed_in(visitor.client.post("/api/example", json={"message": "hi"}))


# -- the recipe (README "Protecting your own app") -----------------------------------------


def test_the_recipes_json_route_has_the_users_claims(signed_in: Browser, db: Database) -> None:
    user_id = db.rows("SELECT id FROM users")[0][0]

    got = signed_in.client.get("/api/example")
    sent = signed_in.client.post(
        "/api/example",
        json={"message": "hello"},
        headers={"X-CSRFToken": _token(signed_in), "Origin": BASE_URL},
    )
    bad = [
        signed_in.client.post(
            "/api/example", content=body, headers={"X-CSRFToken": _token(signed_in)}
        )
        for body in (b"{not json", b'{"message": 1}', b"[]", b'{"message": ""}')
    ]

    assert got.json() == {"user_id": user_id, "email": "alice@example.com"}
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"user_id": user_id, "message": "hello"}
    assert [b.status_code for b in bad] == [400] * 4
    assert [b.json()["error"] for b in bad] == ["bad_request"] * 4


def test_the_recipes_page_is_guarded_and_its_form_works(signed_in: Browser) -> None:
    page = signed_in.client.get("/example")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")  # a page, not JSON text
    assert "alice@example.com" in page.text

    sent = signed_in.post_form("/example", {"message": "hello <b>there</b>"})
    empty = signed_in.post_form("/example", {"message": "  "})
    forged = signed_in.client.post("/example", data={"message": "x", "_csrf_token": "forged"})

    assert sent.status_code == 200
    assert sent.headers["content-type"].startswith("text/html")
    assert "You sent: hello &lt;b&gt;there&lt;/b&gt;" in sent.text
    assert empty.status_code == 422
    assert "Write a message." in empty.text
    assert forged.status_code == 403
    assert "You sent" not in forged.text


def test_the_recipes_page_sends_a_visitor_to_sign_in_and_back(visitor: Browser) -> None:
    response = visitor.client.get("/example", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fexample"
    visitor.register("bob@example.com")
    present(visitor.client, None)
    back = visitor.login("bob@example.com", next="/example")
    assert back.status_code == 303
    assert back.headers["location"] == "/example"
