"""Checking an address, and changing it, over a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from tests.support.browser import Browser, csrf_token, field_error
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.links import settled
from tests.support.settings import BASE_URL, PASSWORD
from tests.support.smtp import MailCatcher, link_in, text_of

NEW_ADDRESS = "alice.new@example.org"
BOB = "bob@example.com"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _press(client: TestClient[Litestar], link: str) -> Any:
    """Open the link (a page with a button), then press the button (its form's POST)."""
    page = client.get(_path(link))
    assert page.status_code == 200, page.text
    action = re.search(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="_csrf_token"[^>]*>'
        r'\s*<input type="hidden" name="token"',
        page.text,
    )
    assert action
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert f'name="token" value="{token}"' in page.text
    return client.post(
        action[1],
        data={"token": token, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )


def _check_link(mail: MailCatcher, address: str = ALICE, count: int = 1) -> str:
    found = mail.wait_for(address, count=count, where=lambda m: "confirm" in str(m["Subject"]))
    assert len(found) >= count, [m["Subject"] for m in mail.to(address)]
    return link_in(found[count - 1])


def test_registering_sends_a_check_and_the_dashboard_says_not_verified(
    visitor: Browser, mail: MailCatcher
) -> None:
    assert visitor.register(ALICE).status_code == 303
    link = _check_link(mail)
    assert link.startswith(f"{BASE_URL}/verify-email?token=")
    assert "verify" in str(mail.to(ALICE)[0]["Subject"]) or "confirm" in str(
        mail.to(ALICE)[0]["Subject"]
    )
    page = visitor.client.get("/dashboard").text
    assert "not verified" in page
    assert '<form method="post" action="/verify-email/resend">' in page


def test_opening_the_link_verifies_nothing_pressing_the_button_does(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    visitor.register(ALICE)
    link = _check_link(mail)
    for _ in range(3):  # a mail scanner opens it
        assert visitor.client.get(_path(link)).status_code == 200
    assert db.rows("SELECT email_verified_at FROM users") == [(None,)]
    done = _press(visitor.client, link)
    assert done.status_code == 303
    assert done.headers["location"] == "/dashboard"
    [(verified,)] = db.rows("SELECT email_verified_at FROM users")
    assert verified is not None
    page = visitor.client.get("/dashboard").text
    assert "verified" in page
    assert "not verified" not in page  # this browser's token says so at once
    again = visitor.client.get(_path(link))
    assert again.status_code == 400


def test_a_check_link_used_while_signed_out_leads_to_sign_in(
    visitor: Browser, mail: MailCatcher
) -> None:
    visitor.register(ALICE)
    link = _check_link(mail)
    visitor.client.cookies.clear()
    done = _press(visitor.client, link)
    assert done.status_code == 303
    assert done.headers["location"] == "/login"


def test_the_check_can_be_sent_again_within_the_mail_limit(
    visitor: Browser, mail: MailCatcher, settings: Settings, db: Database
) -> None:
    visitor.register(ALICE)
    _check_link(mail)
    for _ in range(4):
        resend = visitor.post_form(
            "/verify-email/resend", {}, form_page="/dashboard", follow_redirects=False
        )
        assert resend.status_code == 303
    settled(db)
    checks = [m for m in mail.to(ALICE) if "confirm" in str(m["Subject"])]
    assert len(checks) == settings.mail_max_per_address
    newest = link_in(checks[-1])
    assert visitor.client.get(_path(link_in(checks[0]))).status_code == 400  # replaced
    assert _press(visitor.client, newest).status_code == 303


def test_a_check_link_expires_verify_ttl_after_it_was_sent(
    visitor: Browser, mail: MailCatcher, clock: TestClock, settings: Settings
) -> None:
    visitor.register(ALICE)
    link = _check_link(mail)
    clock.advance(settings.verify_ttl - 1)
    assert visitor.client.get(_path(link)).status_code == 200
    clock.advance(1)
    assert visitor.client.get(_path(link)).status_code == 400


def _ask_for_change(visitor: Browser, new: str = NEW_ADDRESS, password: str = PASSWORD) -> Any:
    return visitor.post_form("/account/email", {"new_email": new, "current_password": password})


def test_changing_the_address_mails_the_new_one_and_tells_the_old_one(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    visitor.register(ALICE)
    asked = _ask_for_change(visitor)
    assert asked.status_code == 200
    assert NEW_ADDRESS in asked.text
    link = _check_link(mail, NEW_ADDRESS)
    assert link.startswith(f"{BASE_URL}/confirm-email?token=")
    notice = mail.wait_for(ALICE, where=lambda m: "change" in str(m["Subject"]))
    assert notice
    assert "confirm-email" not in text_of(notice[0])
    assert db.rows("SELECT email FROM users") == [(ALICE,)]  # nothing changes yet
    visitor.client.cookies.clear()
    assert visitor.login(ALICE).status_code == 303


def test_confirming_switches_the_address_ends_other_sessions_and_keeps_this_browser(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    visitor.register(ALICE)
    phone = visitor.another_device()
    assert phone.login(ALICE).status_code == 303
    _ask_for_change(visitor)
    done = _press(visitor.client, _check_link(mail, NEW_ADDRESS))
    assert done.status_code == 303
    assert done.headers["location"] == "/dashboard"
    page = visitor.client.get("/dashboard").text
    assert NEW_ADDRESS in page  # signed in, as the new address
    assert "not verified" not in page
    assert not phone.signed_in_with(phone.token)  # every other session ended
    assert db.rows("SELECT email FROM users") == [(NEW_ADDRESS,)]
    visitor.client.cookies.clear()
    assert visitor.login(ALICE).status_code == 401
    visitor.client.cookies.clear()
    assert visitor.login(NEW_ADDRESS).status_code == 303


def test_confirming_while_signed_out_ends_every_session(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    visitor.register(ALICE)
    _ask_for_change(visitor)
    token = visitor.token
    link = _check_link(mail, NEW_ADDRESS)
    other = visitor.another_device()
    done = _press(other.client, link)
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert db.count("sessions") == 0
    assert not visitor.signed_in_with(token)


def test_an_address_another_account_has_gets_the_same_answer_and_no_mail(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    visitor.register(BOB)
    visitor.client.cookies.clear()
    visitor.register(ALICE)
    taken = _ask_for_change(visitor, BOB)
    free = _ask_for_change(visitor, "someone.free@example.org")
    assert taken.status_code == free.status_code == 200
    assert taken.text.replace(BOB, "X").count("We sent a link") == 1
    settled(db)
    assert not [m for m in mail.to(BOB) if "confirm-email" in text_of(m)]


def test_a_wrong_current_password_is_a_422_and_sends_nothing(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    visitor.register(ALICE)
    wrong = _ask_for_change(visitor, password="not my password at all")
    assert wrong.status_code == 422
    assert field_error(wrong.text, "current_password")
    settled(db)
    assert mail.to(NEW_ADDRESS) == []


def test_the_change_pages_are_guarded(client: TestClient[Litestar]) -> None:
    response = client.get("/account/email", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/verify-email", "/confirm-email"])
def test_an_unknown_link_is_a_plain_400_on_get_and_post(
    client: TestClient[Litestar], path: str
) -> None:
    assert client.get(f"{path}?token=nope").status_code == 400
    token = csrf_token(client.get("/login").text)
    response = client.post(path, data={"token": "nope", "_csrf_token": token})
    assert response.status_code == 400
    assert "does not work" in response.text
