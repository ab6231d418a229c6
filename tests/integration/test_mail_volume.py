"""Mail volume (issue 16, finding 3), over a real SMTP server (aiosmtpd): security
notices count like link mails, one account asks for a bounded number of address changes,
and link mails leave the outbox before notices queued earlier. Each failed on the code
before the fix (notices were unlimited; 159 change links went out in 10 s)."""

from __future__ import annotations

import itertools

import pytest

from app.clock import TestClock
from app.config import Settings
from app.db import migrate
from app.mail.messages import MailKind
from app.wiring import build_core
from tests.support.backends import WITH_STORES
from tests.support.browser import Browser, field_error
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.links import ask_for_change, change_password, settled
from tests.support.settings import PASSWORD
from tests.support.smtp import MailCatcher

pytestmark = pytest.mark.backends(*WITH_STORES)

LIMIT = 3  # APP_MAIL_MAX_PER_ADDRESS's default
WINDOW = 15 * 60  # APP_MAIL_WINDOW's default


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def _subjects(mail: MailCatcher, address: str, word: str) -> list[str]:
    return [str(m["Subject"]) for m in mail.to(address) if word in str(m["Subject"]).lower()]


def test_password_changed_notices_stop_at_the_mail_limit_and_the_log_keeps_every_change(
    visitor: Browser, mail: MailCatcher, clock: TestClock, db: Database
) -> None:
    assert visitor.register(ALICE).status_code == 303
    passwords = [PASSWORD, *(f"passphrase number {n} is long" for n in range(LIMIT + 2))]
    for old, new in itertools.pairwise(passwords[:-1]):  # one change past the limit
        assert change_password(visitor, old, new).status_code == 303
    settled(db)
    assert len(_subjects(mail, ALICE, "password was changed")) == LIMIT
    changed = db.rows("SELECT count(*) FROM auth_events WHERE kind = 'password_changed'")
    assert changed == [(LIMIT + 1,)]
    clock.advance(WINDOW)  # a new window: the next notice goes out again
    assert change_password(visitor, passwords[-2], passwords[-1]).status_code == 303
    settled(db)
    assert len(_subjects(mail, ALICE, "password was changed")) == LIMIT + 1


def test_one_account_asks_for_a_bounded_number_of_address_changes(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    assert visitor.register(ALICE).status_code == 303
    strangers = [f"stranger{n}@example.net" for n in range(LIMIT + 1)]
    for stranger in strangers[:LIMIT]:
        assert ask_for_change(visitor, stranger, PASSWORD).status_code == 200
    refused = ask_for_change(visitor, strangers[LIMIT], PASSWORD)
    assert refused.status_code == 429, refused.text
    assert 0 < int(refused.headers["retry-after"]) <= WINDOW
    assert field_error(refused.text, "current_password")
    settled(db)
    assert [len(mail.to(stranger)) for stranger in strangers] == [1] * LIMIT + [0]
    assert len(_subjects(mail, ALICE, "change of your account")) == LIMIT
    # A wrong password is not a change asked for: it is told as a wrong password.
    wrong = ask_for_change(visitor, "someone@example.net", "not the password at all")
    assert wrong.status_code == 422


async def test_link_mails_leave_the_outbox_before_notices_queued_earlier(
    settings: Settings, clock: TestClock, mail: MailCatcher
) -> None:
    core = build_core(settings, clock, deployment_clock=False)  # no sender running
    try:
        await migrate.ensure_current(core.db.engine, auto_migrate=True)
        now = clock.now()
        async with core.db.write() as tx:
            for n in range(5):  # a flood of notices ...
                await core.outbox.send(
                    tx,
                    MailKind.EMAIL_CHANGE_NOTICE,
                    to=f"victim{n}@example.com",
                    user_id=None,
                    now=now,
                    new_email="stranger@example.net",
                    url="https://testserver.local/sessions",
                )
            await core.outbox.send(  # ... then the link someone is waiting for
                tx,
                MailKind.VERIFY,
                to=ALICE,
                user_id=None,
                now=now,
                hours=24,
                link="https://testserver.local/verify-email?token=x",
            )
        assert await core.outbox.work() == 6
    finally:
        await core.db.dispose()
    assert len(mail.messages) == 6
    assert str(mail.messages[0]["To"]) == ALICE
