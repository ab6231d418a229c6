"""Every mailed link dies with what should kill it (issue 16, finding 1): a reset, a
password change and a confirmed address change void every unused link of the account;
a reset or verification link works only while the account has the address it was mailed
to. Each scenario is the red team's, step by step, over a real SMTP server; each failed
on the code before the fix (the old link still moved or reset the account). SQLite and
PostgreSQL: where throttles and revocations are counted (Redis) changes nothing here."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.links import (
    ask_for_change,
    change_password,
    forgot,
    latest_link,
    path_of,
    post_link,
    press,
    settled,
    token_of,
)
from tests.support.settings import PASSWORD
from tests.support.smtp import MailCatcher

VICTIM = "victim@example.com"
STRANGER = "stranger@example.net"
NEW_ADDRESS = "victim.new@example.org"
STRANGERS_PASSWORD = "the strangers own passphrase 1"
RESET_PASSWORD = "the victims fresh passphrase 2"
LATER_PASSWORD = "the victims later passphrase 3"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def _dead(client: TestClient[Litestar], link: str, **fields: str) -> None:
    """A dead link answers like an unknown one: 400 on GET (with no form that would post
    its token) and 400 on POST."""
    opened = client.get(path_of(link))
    assert opened.status_code == 400, opened.text
    assert token_of(link) not in opened.text
    assert "does not work" in opened.text
    assert post_link(client, link, **fields).status_code == 400


def _reset_through_the_mailbox(
    client: TestClient[Litestar], mail: MailCatcher, address: str, password: str, count: int
) -> None:
    assert forgot(client, address).status_code == 200
    link = latest_link(mail, address, "reset", count=count)
    reset = press(client, link, new_password=password, new_password_confirm=password)
    assert reset.status_code == 303, reset.text


def test_a_pre_hijacked_account_is_not_taken_back_after_the_owner_resets(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    # A stranger registers the victim's address and asks to move it to their own mailbox.
    stranger = visitor
    assert stranger.register(VICTIM, STRANGERS_PASSWORD).status_code == 303
    assert ask_for_change(stranger, STRANGER, STRANGERS_PASSWORD).status_code == 200
    held_back = latest_link(mail, STRANGER, "confirm")
    # The victim, told the address is taken, resets the password and signs in.
    victim = stranger.another_device()
    _reset_through_the_mailbox(victim.client, mail, VICTIM, RESET_PASSWORD, count=1)
    assert victim.login(VICTIM, RESET_PASSWORD).status_code == 303
    # Hours later the stranger confirms the old link: it is dead.
    _dead(stranger.another_device().client, held_back)
    assert victim.client.get("/dashboard", follow_redirects=False).status_code == 200
    assert db.rows("SELECT email FROM users") == [(VICTIM,)]
    # ... and the victim's next reset request still reaches the victim.
    victim.client.cookies.clear()
    _reset_through_the_mailbox(victim.client, mail, VICTIM, LATER_PASSWORD, count=2)
    settled(db)


@pytest.mark.parametrize("how", ["reset", "password change"])
def test_an_address_change_asked_for_earlier_dies_with_the_password(
    visitor: Browser, mail: MailCatcher, how: str
) -> None:
    owner = visitor
    assert owner.register(VICTIM).status_code == 303
    # Someone who once knew the password asks to move the account.
    intruder = owner.another_device()
    assert intruder.login(VICTIM, PASSWORD).status_code == 303
    assert ask_for_change(intruder, STRANGER, PASSWORD).status_code == 200
    held_back = latest_link(mail, STRANGER, "confirm")
    # The owner changes the password (or resets it), and every session ends.
    if how == "reset":
        _reset_through_the_mailbox(owner.another_device().client, mail, VICTIM, LATER_PASSWORD, 1)
    else:
        assert change_password(owner, PASSWORD, LATER_PASSWORD).status_code == 303
    _dead(intruder.client, held_back)
    fresh = owner.another_device()
    assert fresh.login(VICTIM, LATER_PASSWORD).status_code == 303
    assert fresh.login(STRANGER, LATER_PASSWORD).status_code == 401


def test_a_reset_link_mailed_to_an_old_address_dies_when_the_account_moves(
    visitor: Browser, mail: MailCatcher, clock: TestClock
) -> None:
    owner = visitor
    assert owner.register(VICTIM).status_code == 303
    # Someone holding the old mailbox asks for a reset and keeps the link.
    holder = owner.another_device()
    assert forgot(holder.client, VICTIM).status_code == 200
    held_back = latest_link(mail, VICTIM, "reset")
    # The owner moves the account to a new address and changes the password.
    assert ask_for_change(owner, NEW_ADDRESS, PASSWORD).status_code == 200
    assert press(owner.client, latest_link(mail, NEW_ADDRESS, "confirm")).status_code == 303
    assert change_password(owner, PASSWORD, LATER_PASSWORD).status_code == 303
    clock.advance(40 * 60)  # 40 minutes later, inside APP_RESET_TTL
    _dead(
        holder.client, held_back, new_password=RESET_PASSWORD, new_password_confirm=RESET_PASSWORD
    )
    assert holder.login(NEW_ADDRESS, RESET_PASSWORD).status_code == 401
    assert owner.client.get("/dashboard", follow_redirects=False).status_code == 200


def test_a_reset_link_dies_when_the_address_moves_even_with_no_password_change(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    """The address rule on its own: the account's links are moved by no other event."""
    assert visitor.register(VICTIM).status_code == 303
    assert forgot(visitor.another_device().client, VICTIM).status_code == 200
    held_back = latest_link(mail, VICTIM, "reset")
    settled(db)
    # The address moves behind the app's back (as an operator's fix would): the link, mailed
    # to an address the account no longer has, stops working.
    db.execute("UPDATE users SET email = ?, email_key = ?", NEW_ADDRESS, NEW_ADDRESS)
    _dead(visitor.another_device().client, held_back)


def test_a_check_link_mailed_to_an_old_address_dies_when_the_account_moves(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    assert visitor.register(VICTIM).status_code == 303
    check = latest_link(mail, VICTIM, "confirm your email")
    assert ask_for_change(visitor, NEW_ADDRESS, PASSWORD).status_code == 200
    assert (
        press(visitor.client, latest_link(mail, NEW_ADDRESS, "confirm your new")).status_code == 303
    )
    _dead(visitor.client, check)


@pytest.mark.parametrize("state", ["used", "voided", "expired"])
def test_a_link_that_no_longer_works_shows_no_form_on_get(
    visitor: Browser, mail: MailCatcher, clock: TestClock, state: str
) -> None:
    assert visitor.register(VICTIM).status_code == 303
    check = latest_link(mail, VICTIM, "confirm your email")
    if state == "used":
        assert press(visitor.client, check).status_code == 303
    elif state == "voided":
        assert change_password(visitor, PASSWORD, LATER_PASSWORD).status_code == 303
    else:
        clock.advance(24 * 3600)  # APP_VERIFY_TTL
    _dead(visitor.client, check)
