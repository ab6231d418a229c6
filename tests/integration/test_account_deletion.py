"""Deleting an account (issue 21, GDPR art. 17): refused with a wrong password or a
wrong address, and then everything goes at once - every device's token, every mailed
link, every row that holds the address or the old id - except one last mail, whose row
goes too once it is delivered; the address registers anew as a stranger to the old
account. Over a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.mail.delivery import BACKOFF, MAX_ATTEMPTS
from tests.support.authenticator import SoftAuthenticator
from tests.support.browser import HTMX, Browser, assert_deletes_cookie, field_error
from tests.support.database import Database
from tests.support.dumps import holding, rows_of_user
from tests.support.links import ask_for_change, forgot, latest_link, path_of, settled
from tests.support.passkeys import add_passkey, post_json, sign_in_with_passkey
from tests.support.settings import BASE_URL, PASSWORD
from tests.support.smtp import MailCatcher
from tests.support.two_factor import turn_on

OWNER = "Owner.Person@example.com"
ADDRESS = "owner.person@example.com"
NEIGHBOUR = "bigowner.person@example.com"  # another address that ends with the owner's
MOVING_TO = "owner.elsewhere@example.org"  # an address change asked for, not confirmed


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def delete(browser: Browser, password: str, email: str, **kwargs: Any) -> Any:
    return browser.post_form(
        "/account/delete",
        {"current_password": password, "confirm_email": email},
        follow_redirects=False,
        **kwargs,
    )


def _dead(client: TestClient[Litestar], link: str) -> None:
    assert client.get(path_of(link)).status_code == 400


def test_the_form_says_what_goes_and_refuses_a_wrong_password_or_address(
    visitor: Browser, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303
    form = visitor.client.get("/account/delete")
    assert form.status_code == 200
    assert '<form id="delete-form" method="post" action="/account/delete"' in form.text
    assert 'name="current_password"' in form.text
    assert 'name="confirm_email"' in form.text
    assert "activity log" in form.text

    wrong_password = delete(visitor, "not the password at all", ADDRESS)
    assert wrong_password.status_code == 422
    assert "not your current password" in (
        field_error(wrong_password.text, "current_password") or ""
    )
    wrong_address = delete(visitor, PASSWORD, "someone.else@example.com")
    assert wrong_address.status_code == 422
    assert "email address of this account" in (
        field_error(wrong_address.text, "confirm_email") or ""
    )
    assert db.count("users") == 1
    assert visitor.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_deletion_ends_every_session_kills_every_link_and_forgets_the_address(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303
    old_id = db.rows("SELECT id FROM users")[0][0]
    check = latest_link(mail, ADDRESS, "confirm your email")
    phone = visitor.another_device()
    assert phone.login(ADDRESS).status_code == 303
    not_me = latest_link(mail, ADDRESS, "new sign-in")
    assert forgot(visitor.another_device().client, ADDRESS).status_code == 200
    reset = latest_link(mail, ADDRESS, "reset")
    assert ask_for_change(visitor, MOVING_TO, PASSWORD).status_code == 200
    change = latest_link(mail, MOVING_TO, "confirm")
    assert phone.another_device().login(NEIGHBOUR, "guessing").status_code == 401
    settled(db)
    phone_token, own_token = phone.token, visitor.token

    deleted = delete(visitor, PASSWORD, "  " + OWNER + " ")  # as typed, in any case
    assert deleted.status_code == 303, deleted.text
    assert deleted.headers["location"] == "/login"
    assert_deletes_cookie(deleted)
    assert "Your account was deleted" in visitor.client.get("/login").text
    # Every device's token is refused at once, and every mailed link is dead.
    assert not phone.signed_in_with(phone_token)
    assert not phone.another_device().signed_in_with(own_token)  # a copy of the cookie
    for link in (check, not_me, reset, change):
        _dead(visitor.client, link)
    # One mail says so; once it is delivered, nothing holds the address or the old id.
    gone = mail.wait_for(ADDRESS, where=lambda m: "deleted" in str(m["Subject"]).lower())
    assert len(gone) == 1
    settled(db)
    assert [row for row in holding(db, ADDRESS) if NEIGHBOUR not in str(row)] == []
    assert holding(db, MOVING_TO) == []
    assert rows_of_user(db, old_id) == []
    assert db.rows("SELECT key FROM throttle_buckets WHERE key LIKE ?", f"%:{old_id}") == []
    assert holding(db, NEIGHBOUR)  # another person's counts stay

    # The address registers again at once: a new account that sees nothing of the old one.
    again = visitor.another_device()
    assert again.register(ADDRESS).status_code == 303
    export = again.client.get("/account/export").json()
    assert [entry["what"] for entry in export["activity"]] == ["registered"]
    assert len(export["sessions"]) == 1


@pytest.mark.backends("sqlite")  # how htmx is answered: no backend changes it
def test_htmx_deletion_is_told_where_to_go(visitor: Browser, db: Database) -> None:
    assert visitor.register(OWNER).status_code == 303
    deleted = delete(visitor, PASSWORD, ADDRESS, headers=HTMX)
    assert deleted.status_code == 200
    assert deleted.headers["HX-Redirect"] == "/login"
    assert db.count("users") == 0


@pytest.mark.backends("sqlite")  # the throttle rule is the password form's, tested there too
def test_wrong_passwords_are_counted_like_the_password_form(
    visitor: Browser, settings: Settings, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303
    for _ in range(settings.login_max_failures):
        assert delete(visitor, "wrong guess here", ADDRESS).status_code == 422
    throttled = delete(visitor, PASSWORD, ADDRESS)
    assert throttled.status_code == 429
    assert db.count("users") == 1


@pytest.mark.backends("sqlite")  # the sender's retry rule: no backend changes it
def test_a_deletion_mail_that_is_given_up_is_forgotten_too(
    visitor: Browser, mail: MailCatcher, clock: TestClock, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303
    settled(db)
    mail.failing = True
    assert delete(visitor, PASSWORD, ADDRESS).status_code == 303
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deadline = time.monotonic() + 10
        # A bounded wait for the sender to try, and to write the failure down (the next
        # attempt is scheduled from the clock as it reads it then).
        while mail.refused < attempt:
            assert time.monotonic() < deadline, f"attempt {attempt} never came"
            time.sleep(0.02)
        while attempt < MAX_ATTEMPTS and db.rows("SELECT attempts FROM outbox") != [(attempt,)]:
            assert time.monotonic() < deadline, db.rows("SELECT attempts, status FROM outbox")
            time.sleep(0.02)
        if attempt < MAX_ATTEMPTS:
            clock.advance(BACKOFF[attempt - 1])
    deadline = time.monotonic() + 10
    while db.count("outbox"):
        assert time.monotonic() < deadline, db.rows("SELECT status, attempts FROM outbox")
        time.sleep(0.02)
    assert holding(db, ADDRESS) == []


def test_deletion_takes_every_sign_in_method_with_it(
    visitor: Browser, clock: TestClock, db: Database
) -> None:
    """The authenticator app, its recovery codes, a passkey, a passkey ceremony begun and
    not finished, a sign-in waiting for its code: nothing of them outlives the account."""
    assert visitor.register(OWNER).status_code == 303
    old_id = db.rows("SELECT id FROM users")[0][0]
    enrolled = turn_on(visitor, clock)
    phone = SoftAuthenticator(origin=BASE_URL)
    assert add_passkey(visitor, phone).status_code == 201
    assert post_json(visitor, "/account/passkeys/options").status_code == 200  # left open
    waiting = visitor.another_device()
    assert waiting.login(ADDRESS).headers["location"] == "/login/two-factor"

    assert delete(visitor, PASSWORD, ADDRESS).status_code == 303
    assert rows_of_user(db, old_id) == []
    assert db.count("authenticators") == 0
    assert db.count("webauthn_challenges") == 0
    code = waiting.post_form(
        "/login/two-factor", {"code": enrolled.codes[0]}, follow_redirects=False
    )
    assert code.status_code == 303
    assert code.headers["location"] == "/login"  # the pending sign-in died with the account
    assert sign_in_with_passkey(visitor.another_device(), phone).status_code == 401
