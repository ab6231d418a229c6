"""The purge also deletes links that can never work again and the record of mail sent
longer than ``APP_MAIL_WINDOW`` ago (over a real SMTP server), from the periodic purge and
from ``python -m app purge``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.clock import TestClock
from app.config import Settings
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.links import latest_link, press, settled
from tests.support.live import REPO_ROOT
from tests.support.smtp import MailCatcher

ALICE = "alice@example.com"
BOB = "bob@example.com"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def _two_people(visitor: Browser, mail: MailCatcher, db: Database) -> None:
    """Alice confirms her address (a used link); Bob has not yet (a live one). Both check
    mails are delivered."""
    assert visitor.register(ALICE).status_code == 303
    assert press(visitor.client, latest_link(mail, ALICE, "confirm")).status_code == 303
    visitor.client.cookies.clear()
    assert visitor.register(BOB).status_code == 303
    latest_link(mail, BOB, "confirm")
    settled(db)
    assert db.count("email_tokens") == 2
    assert db.rows("SELECT status FROM outbox") == [("sent",), ("sent",)]


def test_the_purge_deletes_used_and_expired_links_and_mail_older_than_the_window(
    settings: Settings, clock: TestClock, visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    _two_people(visitor, mail, db)
    purger = visitor.client.app.state.core.purger
    portal = visitor.client.blocking_portal

    now = portal.call(purger.purge)
    assert (now.links, now.mails) == (1, 0)  # Alice's used link; the mails are recent
    assert db.rows("SELECT address FROM email_tokens") == [(BOB,)]

    clock.advance(settings.mail_window)  # sent exactly one window ago: kept
    assert portal.call(purger.purge).mails == 0
    assert db.count("outbox") == 2

    clock.advance(1)
    later = portal.call(purger.purge)
    assert (later.links, later.mails) == (0, 2)
    assert db.count("outbox") == 0
    assert db.count("email_tokens") == 1  # Bob's link still works

    clock.advance(settings.verify_ttl)
    assert portal.call(purger.purge).links == 1  # ... until it expires
    assert db.count("email_tokens") == 0
    assert db.count("users") == 2  # nobody's account went with them


def test_the_purge_command_says_how_many_links_and_mails_it_deleted(
    settings: Settings, visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    _two_people(visitor, mail, db)
    db.execute("UPDATE outbox SET created_at = 0 WHERE to_address = ?", ALICE)  # long ago
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env |= {"APP_DATA_DIR": str(settings.data_dir), "APP_DATABASE_URL": db.url}

    done = subprocess.run(
        [sys.executable, "-m", "app", "purge"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "1 used or expired link(s)" in done.stdout
    assert "1 sent or failed mail(s) older than APP_MAIL_WINDOW" in done.stdout
    assert db.rows("SELECT address FROM email_tokens") == [(BOB,)]
    assert db.rows("SELECT to_address FROM outbox") == [(BOB,)]
