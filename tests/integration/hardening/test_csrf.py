"""CSRF: every state change needs this browser's token and a same-site origin.

Each state-changing route is posted four ways an attacker could try (no token, another
browser's token, a cross-site fetch, a foreign Origin): each is a 403 page in plain words,
and nothing changes - no row created or deleted, no auth cookie set or deleted, the user
still signed in. The same posts from our own origin work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import (
    HTMX,
    Browser,
    auth_set_cookie,
    cookie_attributes,
    set_cookie_headers,
)
from tests.support.database import Database
from tests.support.hostile import (
    ALICE,
    CSRF_COOKIE,
    Snapshot,
    assert_plain_page,
    fresh_csrf,
    other_browser,
    page_token,
    public_ids,
)
from tests.support.settings import BASE_URL, PASSWORD

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play

NEW_PASSWORD = "a brand new passphrase here"


@dataclass
class Scene:
    """Alice signed in here, and on a second device (so there is a session to revoke)."""

    me: Browser
    other_session: str


@pytest.fixture
def scene(alice: Browser) -> Scene:
    second = other_browser(alice.client)
    assert second.login(ALICE).status_code == 303
    page = alice.client.get("/sessions").text
    ids = public_ids(page)
    assert len(ids) == 2, ids
    [other] = [i for i in ids if f'action="/sessions/{i}/revoke"' in page]  # not this one
    return Scene(me=alice, other_session=other)


# path, form fields, the status a legitimate post gets
Route = tuple[str, Callable[[Scene], dict[str, str]], int]
ROUTES: dict[str, Route] = {
    "register": (
        "/register",
        lambda _: {"email": "bob@example.com", "password": PASSWORD, "password_confirm": PASSWORD},
        303,
    ),
    "login": ("/login", lambda _: {"email": ALICE, "password": PASSWORD}, 303),
    "logout": ("/logout", lambda _: {}, 303),
    "revoke": ("/sessions/{other}/revoke", lambda _: {}, 303),
    "revoke-others": ("/sessions/revoke-others", lambda _: {}, 303),
    "password": (
        "/account/password",
        lambda _: {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        303,
    ),
    "password-strength": ("/password-strength", lambda _: {"password": NEW_PASSWORD}, 200),
}


def _path(template: str, scene: Scene) -> str:
    return template.format(other=scene.other_session)


def _attack_no_token(client: TestClient[Litestar]) -> tuple[dict[str, str], dict[str, str]]:
    page_token(client)  # the browser has its CSRF cookie; the attacker cannot read it
    return {}, {}


def _attack_foreign_token(client: TestClient[Litestar]) -> tuple[dict[str, str], dict[str, str]]:
    page_token(client)
    return {"_csrf_token": fresh_csrf(client)}, {}


def _attack_foreign_header_token(
    client: TestClient[Litestar],
) -> tuple[dict[str, str], dict[str, str]]:
    page_token(client)
    return {}, {"x-csrftoken": fresh_csrf(client)}


def _attack_cross_site(client: TestClient[Litestar]) -> tuple[dict[str, str], dict[str, str]]:
    return {"_csrf_token": page_token(client)}, {"Sec-Fetch-Site": "cross-site"}


def _attack_evil_origin(client: TestClient[Litestar]) -> tuple[dict[str, str], dict[str, str]]:
    return {"_csrf_token": page_token(client)}, {"Origin": "https://evil.example"}


def _attack_null_origin(client: TestClient[Litestar]) -> tuple[dict[str, str], dict[str, str]]:
    return {"_csrf_token": page_token(client)}, {"Origin": "null"}


def _attack_lookalike_origin(
    client: TestClient[Litestar],
) -> tuple[dict[str, str], dict[str, str]]:
    origin = "https://testserver.local.evil.example"
    return {"_csrf_token": page_token(client)}, {"Origin": origin}


ATTACKS = {
    "no-token": _attack_no_token,
    "token-of-another-browser": _attack_foreign_token,
    "header-token-of-another-browser": _attack_foreign_header_token,
    "sec-fetch-site-cross-site": _attack_cross_site,
    "origin-evil": _attack_evil_origin,
    "origin-null": _attack_null_origin,
    "origin-lookalike": _attack_lookalike_origin,
}

FROM_ANOTHER_SITE = {"sec-fetch-site-cross-site", "origin-evil", "origin-null", "origin-lookalike"}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("route", ROUTES)
def test_a_forged_state_change_is_a_403_page_and_changes_nothing(
    scene: Scene, db: Database, route: str, attack: str
) -> None:
    client = scene.me.client
    template, fields, _ = ROUTES[route]
    extra_fields, headers = ATTACKS[attack](client)
    token_before = scene.me.token
    before = Snapshot(db)

    response = client.post(
        _path(template, scene),
        data={**fields(scene), **extra_fields},
        headers=headers,
        follow_redirects=False,
    )

    if attack in FROM_ANOTHER_SITE:  # refused before any token is looked at
        assert_plain_page(response, 403, "This request was refused")
        assert "expired" not in response.text
    else:  # a token that is not this browser's: the page had expired, in words
        assert_plain_page(response, 403, "expired")
    assert auth_set_cookie(response) is None, set_cookie_headers(response)
    assert "hx-redirect" not in response.headers
    assert Snapshot(db) == before
    assert scene.me.token == token_before
    still = client.get("/dashboard", follow_redirects=False)
    assert still.status_code == 200, still.text  # still signed in, same session


@pytest.mark.parametrize("route", ROUTES)
def test_the_same_post_from_our_own_origin_works(scene: Scene, db: Database, route: str) -> None:
    client = scene.me.client
    template, fields, status = ROUTES[route]
    if route == "login":
        client.cookies.clear()  # a browser signing in
    token = page_token(client, "/sessions" if route != "login" else "/login")
    before = Snapshot(db)

    response = client.post(
        _path(template, scene),
        data={**fields(scene), "_csrf_token": token},
        headers={"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )

    assert response.status_code == status, response.text
    if route != "password-strength":
        assert Snapshot(db) != before  # the state change happened


def test_an_htmx_post_carries_the_token_in_a_header(client: TestClient[Litestar]) -> None:
    page = client.get("/register")
    token = page_token(client, "/register")
    assert f'hx-headers=\'{{"x-csrftoken": "{token}"}}\'' in page.text
    data = {"email": ALICE, "password": PASSWORD, "password_confirm": PASSWORD}

    response = client.post(
        "/register",
        data=data,
        headers={**HTMX, "x-csrftoken": token, "Origin": BASE_URL},
        follow_redirects=False,
    )

    assert response.status_code == 200, response.text
    assert response.headers.get("hx-redirect") == "/dashboard"


def test_an_htmx_post_without_the_header_is_refused(
    client: TestClient[Litestar], db: Database
) -> None:
    page_token(client, "/register")
    data = {"email": ALICE, "password": PASSWORD, "password_confirm": PASSWORD}
    response = client.post("/register", data=data, headers=HTMX, follow_redirects=False)
    assert response.status_code == 403, response.text
    assert "hx-redirect" not in response.headers
    assert db.count("users") == 0


def test_a_same_origin_fetch_is_allowed(visitor: Browser) -> None:
    """Sec-Fetch-Site: same-origin (what a browser sends for our own forms) is not refused."""
    response = visitor.register(headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("path", ["/logout", "/sessions/revoke-others", "/sessions/x/revoke"])
def test_no_get_changes_state(alice: Browser, db: Database, path: str) -> None:
    before = Snapshot(db)
    response = alice.client.get(path, follow_redirects=False)
    assert_plain_page(response, 405)
    assert "POST" in response.headers.get("allow", ""), response.headers
    assert auth_set_cookie(response) is None
    assert Snapshot(db) == before
    assert alice.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_get_logout_is_405_and_the_user_stays_signed_in(alice: Browser, db: Database) -> None:
    response = alice.client.get("/logout", follow_redirects=False)
    assert response.status_code == 405, response.text
    assert "clear-site-data" not in response.headers
    assert db.count("sessions") == 1


def test_the_test_clock_needs_no_token(client: TestClient[Litestar]) -> None:
    client.cookies.clear()
    response = client.post("/_test/clock", json={"advance": 60})
    assert response.status_code == 200, response.text
    assert response.json()["now"] == "2027-01-15T08:01:00Z"


def test_the_csrf_cookie_is_host_prefixed_secure_and_http_only(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/login")
    [header] = [h for h in set_cookie_headers(response) if h.startswith(f"{CSRF_COOKIE}=")]
    attributes = cookie_attributes(header)
    assert "secure" in attributes, header
    assert "httponly" in attributes, header
    assert attributes.get("path") == "/", header
    assert "domain" not in attributes, header
    assert attributes.get("samesite", "").lower() in {"lax", "strict"}, header


def _csrf_deletion(response: Any) -> str:
    [header] = [h for h in set_cookie_headers(response) if h.startswith(f"{CSRF_COOKIE}=")]
    attributes = cookie_attributes(header)
    assert header.startswith(f"{CSRF_COOKIE}=;"), header
    assert attributes.get("max-age") == "0", header
    assert "secure" in attributes, header  # a __Host- deletion without Secure is ignored
    assert attributes.get("path") == "/", header
    return header


@pytest.mark.parametrize("action", ["register", "login", "logout"])
def test_the_csrf_token_is_replaced_at_login_and_logout(
    client: TestClient[Litestar], visitor: Browser, action: str
) -> None:
    if action != "register":
        assert visitor.register(ALICE).status_code == 303
    if action == "login":
        client.cookies.clear()
    before = page_token(client, "/register" if action == "register" else "/login")
    response = {"register": visitor.register, "login": visitor.login, "logout": visitor.logout}[
        action
    ]()
    assert response.status_code == 303, response.text

    _csrf_deletion(response)
    assert client.cookies.get(CSRF_COOKIE) is None
    after = page_token(client)
    assert after != before
    # The old token is worthless now: a token planted before login cannot be replayed.
    stale = client.post(
        "/password-strength", data={"password": "x", "_csrf_token": before}, follow_redirects=False
    )
    assert stale.status_code == 403, stale.text
