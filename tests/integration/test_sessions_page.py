"""Issue 3: the sessions page, revoking sessions, the password change, the activity log."""

from __future__ import annotations

import hashlib
import re

from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from tests.support.browser import COOKIE, Browser, csrf_token, field_error
from tests.support.database import Database
from tests.support.hostile import AppKey
from tests.support.settings import PASSWORD

NEW_PASSWORD = "a brand new passphrase here"


def _public_ids(html: str) -> list[str]:
    return re.findall(r'data-session="([^"]+)"', html)


def _second_device(visitor: Browser, email: str = "alice@example.com") -> Browser:
    other = visitor.another_device()
    other.client.headers["user-agent"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    )
    assert other.login(email).status_code == 303
    return other


def test_the_sessions_page_lists_every_live_session_and_marks_this_one(
    app: Litestar, visitor: Browser
) -> None:
    visitor.register()
    _second_device(visitor)
    page = visitor.client.get("/sessions")
    assert page.status_code == 200, page.text
    assert len(_public_ids(page.text)) == 2
    assert page.text.count("This device") == 1
    assert "Firefox on Windows" in page.text
    assert "Gecko/20100101 Firefox/128.0" in page.text  # the full user agent too
    # one revoke form per *other* session, and the "every other" form
    assert len(re.findall(r'action="/sessions/[^"/]+/revoke"', page.text)) == 1
    assert 'action="/sessions/revoke-others"' in page.text


def test_revoking_another_session_signs_that_device_out_at_once(
    app: Litestar, visitor: Browser, settings: Settings
) -> None:
    visitor.register()
    phone = _second_device(visitor).client
    assert phone.get("/dashboard").status_code == 200
    page = visitor.client.get("/sessions")
    current = visitor.client.get("/dashboard")
    assert current.status_code == 200
    other_id = next(
        pid for pid in _public_ids(page.text) if f'/sessions/{pid}/revoke"' in page.text
    )
    response = visitor.client.post(
        f"/sessions/{other_id}/revoke",
        data={"_csrf_token": csrf_token(page.text)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    # htmx swaps in the list without the row, saying which device was signed out
    assert "<html" not in response.text
    assert _public_ids(response.text) == [
        visitor_id for visitor_id in _public_ids(page.text) if visitor_id != other_id
    ]
    assert "Firefox on Windows was signed out." in response.text
    # inside its access window, yet refused at once (the denylist)
    refused = phone.get("/dashboard", follow_redirects=False)
    assert refused.status_code == 303
    assert visitor.client.get("/dashboard").status_code == 200
    assert Database.of(settings).count("sessions") == 1


def test_revoke_without_javascript_returns_to_the_sessions_page(
    app: Litestar, visitor: Browser
) -> None:
    visitor.register()
    _second_device(visitor)
    page = visitor.client.get("/sessions")
    other_id = next(
        pid for pid in _public_ids(page.text) if f'/sessions/{pid}/revoke"' in page.text
    )
    response = visitor.client.post(
        f"/sessions/{other_id}/revoke",
        data={"_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sessions"


def test_sign_out_every_other_session(app: Litestar, visitor: Browser, settings: Settings) -> None:
    visitor.register()
    phone = _second_device(visitor).client
    tablet = _second_device(visitor).client
    page = visitor.client.get("/sessions")
    assert len(_public_ids(page.text)) == 3
    response = visitor.client.post(
        "/sessions/revoke-others",
        data={"_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert phone.get("/dashboard", follow_redirects=False).status_code == 303
    assert tablet.get("/dashboard", follow_redirects=False).status_code == 303
    assert visitor.client.get("/dashboard").status_code == 200
    assert Database.of(settings).count("sessions") == 1


def test_a_user_can_neither_see_nor_revoke_another_users_session(
    app: Litestar, visitor: Browser, settings: Settings
) -> None:
    visitor.register()
    bob = visitor.another_device()
    assert bob.register("bob@example.com").status_code == 303
    bob_ids = _public_ids(bob.client.get("/sessions").text)
    alice_page = visitor.client.get("/sessions")
    assert not set(bob_ids) & set(_public_ids(alice_page.text))
    assert "bob@example.com" not in alice_page.text
    response = visitor.client.post(
        f"/sessions/{bob_ids[0]}/revoke",
        data={"_csrf_token": csrf_token(alice_page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert bob.client.get("/dashboard").status_code == 200
    assert Database.of(settings).count("sessions") == 2


def test_the_activity_log_shows_recent_events_without_secrets(
    visitor: Browser, settings: Settings, db: Database
) -> None:
    visitor.register()
    visitor.login(password="not the password at all")
    page = visitor.client.get("/sessions")
    assert "Account created" in page.text
    assert "Failed sign-in" in page.text
    token = visitor.token
    assert token
    secret = AppKey(settings).claims(token)["rt"]  # the refresh secret inside the token
    stored = db.session()["secret_hash"]
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    for leak in (token, secret, stored):
        assert leak not in page.text


def test_password_change_ends_every_session_and_signs_this_browser_in_afresh(
    app: Litestar, visitor: Browser, settings: Settings
) -> None:
    visitor.register()
    phone = _second_device(visitor).client
    before = visitor.client.cookies.get(COOKIE)
    form = visitor.client.get("/account/password")
    response = visitor.client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "_csrf_token": csrf_token(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert phone.get("/dashboard", follow_redirects=False).status_code == 303
    # a stolen copy of this browser's cookie is no better than the phone's: a new session
    assert visitor.client.cookies.get(COOKIE) not in (None, before)
    assert visitor.client.get("/dashboard").status_code == 200
    assert Database.of(settings).count("sessions") == 1
    assert "Your password was changed" in visitor.client.get(response.headers["location"]).text
    # the new password works, the old one does not
    fresh = visitor.another_device()
    assert fresh.login(password=PASSWORD).status_code == 401
    assert fresh.login(password=NEW_PASSWORD).status_code == 303


def test_password_change_with_a_wrong_current_password_changes_nothing(
    app: Litestar, visitor: Browser
) -> None:
    visitor.register()
    phone = _second_device(visitor).client
    form = visitor.client.get("/account/password")
    response = visitor.client.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "_csrf_token": csrf_token(form.text),
        },
    )
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert phone.get("/dashboard").status_code == 200


def test_password_change_with_a_mistyped_confirmation_changes_nothing(
    app: Litestar, visitor: Browser
) -> None:
    visitor.register()
    form = visitor.client.get("/account/password")
    assert 'name="new_password_confirm"' in form.text
    response = visitor.client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD + "x",
            "_csrf_token": csrf_token(form.text),
        },
    )
    assert response.status_code == 422
    assert field_error(response.text, "new_password_confirm") == "The two passwords do not match."
    fresh = visitor.another_device()
    assert fresh.login(password=NEW_PASSWORD).status_code == 401  # unchanged
    assert fresh.login(password=PASSWORD).status_code == 303


def test_the_sessions_and_password_pages_are_guarded(client: TestClient[Litestar]) -> None:
    for path in ("/sessions", "/account/password"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
