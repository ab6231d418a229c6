"""Two accounts confirming the same new address at the same moment (issue 16, finding
5): one gets it, the other the answer for a taken address - never a 500.

The moment is made certain rather than hoped for: the other account's confirmation is a
transaction held open behind the app's back (it has moved its account to the address but
not committed), and the app's confirmation runs into it. On PostgreSQL the app's
``UPDATE`` waits on the unique index until the other commits, then fails with a unique
violation (a 500 before the fix, in 5 of 5 of the red team's runs); on SQLite it waits for
the write lock and then finds the address taken.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.links import ask_for_change, latest_link, press
from tests.support.settings import PASSWORD
from tests.support.smtp import MailCatcher

ANN, BOB = "ann@example.com", "bob@example.com"
WANTED = "wanted@example.org"
TAKEN_MEANWHILE = "That address is used by another account now: nothing was changed."


@pytest.fixture
def settings(mail_settings: Any) -> Any:
    return mail_settings


class HeldConfirmation:
    """Another account's confirmation of ``address``, held open: its row already has the
    address, nothing committed yet."""

    def __init__(self, db: Database, user_email: str, address: str) -> None:
        self._db = db
        if db.is_sqlite:
            self._conn: Any = sqlite3.connect(db.path, isolation_level=None, timeout=10)
            self._conn.execute("BEGIN IMMEDIATE")
            placeholder = "?"
        else:
            url = make_url(db.url).set(drivername="postgresql")
            self._conn = psycopg.connect(url.render_as_string(hide_password=False))
            placeholder = "%s"
        self._conn.execute(
            f"UPDATE users SET email = {placeholder}, email_key = {placeholder} "  # noqa: S608
            f"WHERE email = {placeholder}",
            (address, address, user_email),
        )

    def wait_until_someone_waits_on_it(self) -> None:
        """PostgreSQL: poll (bounded) until another transaction waits for one of our locks.
        SQLite holds one lock for the whole file: whoever comes now waits."""
        if self._db.is_sqlite:
            return
        deadline = time.monotonic() + 10
        with psycopg.connect(
            make_url(self._db.url).set(drivername="postgresql").render_as_string(False)
        ) as watcher:
            while not watcher.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[
                0
            ]:
                assert time.monotonic() < deadline, "nobody ever waited for the held row"
                time.sleep(0.01)

    def commit(self) -> None:
        self._conn.execute("COMMIT") if self._db.is_sqlite else self._conn.commit()
        self._conn.close()


def test_two_accounts_confirming_one_address_at_once_one_gets_it_the_other_is_told(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    ann, bob = visitor, visitor.another_device()
    assert ann.register(ANN).status_code == 303
    assert bob.register(BOB).status_code == 303
    assert ask_for_change(ann, WANTED, PASSWORD).status_code == 200
    anns_link = latest_link(mail, WANTED, "confirm your new")
    page = ann.client.get(anns_link.replace("https://testserver.local", ""))
    assert page.status_code == 200
    held = HeldConfirmation(db, BOB, WANTED)
    answers: list[Any] = []
    pressing = threading.Thread(target=lambda: answers.append(press(ann.client, anns_link)))
    pressing.start()
    held.wait_until_someone_waits_on_it()
    held.commit()
    pressing.join(timeout=20)
    assert answers, "the confirmation never answered"
    assert answers[0].status_code == 400, answers[0].text
    assert TAKEN_MEANWHILE in answers[0].text
    assert sorted(db.rows("SELECT email FROM users")) == [(ANN,), (WANTED,)]
    assert ann.client.get("/dashboard", follow_redirects=False).status_code == 200
