"""Passkeys through their routes, with a software authenticator (tests/support/
authenticator.py): adding one (re-auth, a mail), signing in with it (no email, no
password, no second step), confirming it's you with it, deleting it - and every way a
response is refused: another origin, another RP ID, no user verification, a replayed or
expired challenge, a counter that goes backwards, a deleted credential."""

from __future__ import annotations

from typing import Any

import pytest

from app.clock import TestClock
from app.config import Settings
from tests.support.authenticator import SoftAuthenticator
from tests.support.browser import Browser, auth_set_cookie, csrf_token
from tests.support.database import Database
from tests.support.passkeys import add_passkey, post_json
from tests.support.passkeys import sign_in_with_passkey as sign_in
from tests.support.settings import BASE_URL
from tests.support.smtp import MailCatcher
from tests.support.two_factor import turn_on

ADA = "ada@example.com"
RP_ID = "testserver.local"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


@pytest.fixture
def ada(visitor: Browser) -> Browser:
    assert visitor.register(ADA).status_code == 303
    return visitor


@pytest.fixture
def phone() -> SoftAuthenticator:
    return SoftAuthenticator(origin=BASE_URL)


@pytest.fixture
def with_passkey(ada: Browser, phone: SoftAuthenticator) -> Browser:
    """Ada added a passkey, then signed out."""
    assert add_passkey(ada, phone).status_code == 201
    ada.logout()
    return ada


def test_adding_a_passkey_lists_it_and_mails_the_address(
    ada: Browser, phone: SoftAuthenticator, mail: MailCatcher, db: Database
) -> None:
    options = post_json(ada, "/account/passkeys/options").json()["options"]
    assert options["rp"]["id"] == RP_ID
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    credential = phone.create(options)
    added = post_json(ada, "/account/passkeys", {"name": "Work laptop", "credential": credential})
    assert added.status_code == 201
    page = ada.client.get("/account/passkeys")
    assert "Work laptop" in page.text
    assert 'action="/account/passkeys/' in page.text
    assert "Add a passkey" in page.text
    assert "Work laptop" in ada.client.get("/account/security").text
    assert mail.wait_for(ADA, where=lambda m: "passkey" in str(m["Subject"]).lower())
    assert ("passkey_added",) in db.rows("SELECT kind FROM auth_events")


@pytest.mark.backends("sqlite")  # the page is the same on every backend
def test_the_page_says_javascript_is_needed_to_add_one(ada: Browser) -> None:
    page = ada.client.get("/account/passkeys").text
    assert 'data-passkey="register" hidden' in page  # the button shows only with JavaScript
    assert "needs a browser with JavaScript" in page


def test_a_passkey_signs_in_with_no_email_no_password_no_second_step(
    ada: Browser, phone: SoftAuthenticator, clock: TestClock, db: Database
) -> None:
    turn_on(ada, clock)  # even with the authenticator app on
    assert add_passkey(ada, phone).status_code == 201
    ada.logout()
    response = sign_in(ada, phone, next_path="/sessions")
    assert response.status_code == 200, response.text
    assert response.json() == {"redirect": "/sessions"}
    assert auth_set_cookie(response) is not None
    assert ("hwk",) in db.rows("SELECT amr FROM sessions")
    assert "Passkey" in ada.client.get("/sessions").text


def test_a_synced_passkey_is_recorded_as_such(ada: Browser, db: Database) -> None:
    synced = SoftAuthenticator(origin=BASE_URL, synced=True, counts=False)
    assert add_passkey(ada, synced).status_code == 201
    ada.logout()
    assert sign_in(ada, synced).status_code == 200
    assert sign_in(ada.another_device(), synced).status_code == 200  # a counter of 0 is fine
    assert ("swk",) in db.rows("SELECT amr FROM sessions")


@pytest.mark.backends("sqlite")  # checked in-process; challenges: on every backend, below
@pytest.mark.parametrize(
    "knobs",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"uv": False},
    ],
    ids=["another origin", "another RP ID", "no user verification"],
)
def test_a_sign_in_that_does_not_verify_is_refused(
    with_passkey: Browser, phone: SoftAuthenticator, knobs: dict[str, Any]
) -> None:
    response = sign_in(with_passkey, phone, **knobs)
    assert response.status_code == 401
    assert "did not sign you in" in response.json()["error"]
    assert auth_set_cookie(response) is None


@pytest.mark.backends("sqlite")  # checked in-process; challenges: on every backend, below
@pytest.mark.parametrize(
    "knobs",
    [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"uv": False}],
    ids=["another origin", "another RP ID", "no user verification"],
)
def test_adding_a_passkey_that_does_not_verify_is_refused(
    ada: Browser, phone: SoftAuthenticator, db: Database, knobs: dict[str, Any]
) -> None:
    assert add_passkey(ada, phone, **knobs).status_code == 400
    assert db.count("authenticators") == 0


def test_a_challenge_works_once(with_passkey: Browser, phone: SoftAuthenticator) -> None:
    options = post_json(with_passkey, "/login/passkey/options").json()["options"]
    first = post_json(with_passkey, "/login/passkey", {"credential": phone.get(options)})
    assert first.status_code == 200
    other = with_passkey.another_device()
    replay = post_json(other, "/login/passkey", {"credential": phone.get(options)})
    assert replay.status_code == 401
    assert auth_set_cookie(replay) is None


def test_a_challenge_expires(
    with_passkey: Browser, phone: SoftAuthenticator, clock: TestClock
) -> None:
    options = post_json(with_passkey, "/login/passkey/options").json()["options"]
    clock.advance(301)
    late = post_json(with_passkey, "/login/passkey", {"credential": phone.get(options)})
    assert late.status_code == 401


def test_a_challenge_the_server_never_issued_is_refused(
    with_passkey: Browser, phone: SoftAuthenticator
) -> None:
    options = post_json(with_passkey, "/login/passkey/options").json()["options"]
    forged = phone.get(options, challenge="bm90LWEtY2hhbGxlbmdlLW9mLW91cnM")
    assert post_json(with_passkey, "/login/passkey", {"credential": forged}).status_code == 401


def test_a_counter_that_goes_backwards_is_refused(
    with_passkey: Browser, phone: SoftAuthenticator
) -> None:
    assert sign_in(with_passkey, phone, counter=5).status_code == 200
    clone = sign_in(with_passkey.another_device(), phone, counter=3)
    assert clone.status_code == 401
    assert sign_in(with_passkey.another_device(), phone, counter=6).status_code == 200


def test_a_deleted_passkey_no_longer_signs_in(
    ada: Browser, phone: SoftAuthenticator, mail: MailCatcher, db: Database
) -> None:
    assert add_passkey(ada, phone).status_code == 201
    [(passkey_id,)] = db.rows("SELECT id FROM authenticators WHERE kind = 'passkey'")
    deleted = ada.post_form(
        f"/account/passkeys/{passkey_id}/delete", {}, form_page="/account/passkeys",
        follow_redirects=False,
    )  # fmt: skip
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/account/passkeys?done=removed"
    assert db.count("authenticators") == 0
    assert (
        len(mail.wait_for(ADA, count=2, where=lambda m: "passkey" in str(m["Subject"]).lower()))
        == 2
    )
    ada.logout()
    assert sign_in(ada, phone).status_code == 401


def test_another_accounts_passkey_cannot_be_deleted(
    ada: Browser, phone: SoftAuthenticator, db: Database
) -> None:
    assert add_passkey(ada, phone).status_code == 201
    [(passkey_id,)] = db.rows("SELECT id FROM authenticators WHERE kind = 'passkey'")
    bob = ada.another_device()
    assert bob.register("bob@example.com").status_code == 303
    bob.post_form(f"/account/passkeys/{passkey_id}/delete", {}, form_page="/account/passkeys")
    assert db.count("authenticators") == 1


@pytest.mark.parametrize(
    ("path", "form_page"),
    [
        ("/account/passkeys/options", "/account/passkeys"),
        ("/account/passkeys", "/account/passkeys"),
    ],
)
def test_adding_needs_a_fresh_proof(
    ada: Browser, clock: TestClock, settings: Settings, path: str, form_page: str
) -> None:
    clock.advance(settings.reauth_ttl + 1)
    response = post_json(ada, path, {"name": "x", "credential": {}})
    assert response.status_code == 303
    assert response.headers["location"] == "/reauth?next=%2Faccount%2Fpasskeys"


def test_deleting_needs_a_fresh_proof(
    ada: Browser, phone: SoftAuthenticator, clock: TestClock, settings: Settings, db: Database
) -> None:
    assert add_passkey(ada, phone).status_code == 201
    [(passkey_id,)] = db.rows("SELECT id FROM authenticators WHERE kind = 'passkey'")
    clock.advance(settings.reauth_ttl + 1)
    response = ada.post_form(
        f"/account/passkeys/{passkey_id}/delete", {}, form_page="/account/passkeys",
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/reauth?next=%2Faccount%2Fpasskeys"
    assert db.count("authenticators") == 1


def test_a_passkey_confirms_it_is_you(
    ada: Browser, phone: SoftAuthenticator, clock: TestClock, settings: Settings
) -> None:
    assert add_passkey(ada, phone).status_code == 201
    clock.advance(settings.reauth_ttl + 1)
    assert ada.client.get("/account/totp", follow_redirects=False).status_code == 303
    options = post_json(ada, "/reauth/passkey/options").json()["options"]
    response = post_json(
        ada, "/reauth/passkey", {"credential": phone.get(options), "next": "/account/totp"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"redirect": "/account/totp"}
    assert ada.client.get("/account/totp", follow_redirects=False).status_code == 200


def test_only_your_own_passkey_confirms_it_is_you(ada: Browser, phone: SoftAuthenticator) -> None:
    assert add_passkey(ada, phone).status_code == 201
    bob = ada.another_device()
    assert bob.register("bob@example.com").status_code == 303
    options = post_json(bob, "/reauth/passkey/options").json()["options"]
    assert post_json(bob, "/reauth/passkey", {"credential": phone.get(options)}).status_code == 401


@pytest.mark.backends("sqlite")  # refused before any query
@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"credential": "x"}', b'{"credential": {}}']
)
def test_garbage_is_a_plain_refusal(visitor: Browser, body: bytes) -> None:
    token = csrf_token(visitor.client.get("/login").text)
    response = visitor.client.post(
        "/login/passkey", content=body,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 401
    assert "error" in response.json()
