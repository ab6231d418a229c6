"""The mail outbox: rows written with what they are about, delivered afterwards, once, by
whichever process claims them; retried with backoff, then given up in plain sight; and
the dev mailbox that shows them when there is no mail server."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.mail.delivery import BACKOFF, MAX_ATTEMPTS
from tests.support.apps import serve
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.links import settled
from tests.support.settings import make_settings
from tests.support.smtp import MailCatcher, link_in


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def test_two_senders_deliver_every_mail_exactly_once(
    settings: Settings, clock: TestClock, mail: MailCatcher
) -> None:
    people = [f"person{n}@example.com" for n in range(12)]
    with ExitStack() as stack:
        first = stack.enter_context(serve(settings, clock))
        stack.enter_context(serve(settings, clock))  # another process's sender, same rows
        for person in people:
            first.cookies.clear()
            assert Browser(first).register(person).status_code == 303
        settled(Database.of(settings))
    ids = [m["Message-ID"] for m in mail.messages]
    assert sorted(str(m["To"]) for m in mail.messages) == sorted(people)
    assert len(ids) == len(set(ids)) == len(people)


class Blackhole:
    """An SMTP port that accepts connections and never answers (a server that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        for connection in self.held:
            connection.close()
        self.sock.close()


def test_no_request_waits_for_a_mail_server_that_hangs(
    tmp_path: Path, backend_overrides: dict[str, str], clock: TestClock
) -> None:
    hole = Blackhole()
    try:
        smtp = f"smtp://127.0.0.1:{hole.port}"
        hanging = make_settings(tmp_path, smtp_url=smtp, outbox_poll=0.05, **backend_overrides)
        with serve(hanging, clock) as client:
            started = time.perf_counter()
            assert Browser(client).register(ALICE).status_code == 303  # a mail is queued
            took = time.perf_counter() - started
    finally:
        hole.close()
    assert took < 1.0  # the sender is stuck in SMTP for 15 s; the request is not


def test_a_failing_server_is_retried_with_backoff_then_the_mail_is_given_up(
    visitor: Browser, mail: MailCatcher, clock: TestClock, db: Database
) -> None:
    mail.failing = True
    visitor.register(ALICE)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deadline = time.monotonic() + 10
        while mail.refused < attempt:  # the sender polls; a bounded wait for its attempt
            assert time.monotonic() < deadline, f"attempt {attempt} never came"
            time.sleep(0.02)
        # ... and for the sender to write the failure down: it schedules the next attempt
        # from the clock as it reads it then, so the clock must not move before.
        while db.rows("SELECT attempts, lease_until FROM outbox") != [(attempt, None)]:
            assert time.monotonic() < deadline, db.rows("SELECT attempts, status FROM outbox")
            time.sleep(0.02)
        if attempt < MAX_ATTEMPTS:
            wait = BACKOFF[attempt - 1]
            clock.advance(wait - 1)  # not yet due: no new attempt
            time.sleep(0.2)
            assert mail.refused == attempt
            clock.advance(1)
    deadline = time.monotonic() + 10
    while db.rows("SELECT status FROM outbox") != [("failed",)]:
        assert time.monotonic() < deadline, db.rows("SELECT status, attempts FROM outbox")
        time.sleep(0.02)
    [(attempts, body, error)] = db.rows("SELECT attempts, body_text, last_error FROM outbox")
    assert attempts == MAX_ATTEMPTS
    assert body is None  # the link it held is not kept
    assert error
    assert ("mail_failed",) in db.rows("SELECT kind FROM auth_events")
    assert mail.messages == []
    page = visitor.client.get("/sessions").text
    assert "could not be delivered" in page  # the person sees it in their activity log


def _devbox(tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(tmp_path, dev_mailbox=True, **overrides)  # type: ignore[arg-type]


def test_without_a_mail_server_the_dev_mailbox_shows_every_mail_whole(
    tmp_path: Path, clock: TestClock
) -> None:
    with serve(_devbox(tmp_path), clock) as client:
        Browser(client).register(ALICE)
        page = client.get("/_dev/mail")
    assert page.status_code == 200
    assert ALICE in page.text
    assert "Please confirm your email address" in page.text
    assert 'href="https://testserver.local/verify-email?token=' in page.text  # clickable


def test_with_a_mail_server_the_dev_mailbox_shows_no_bodies(
    tmp_path: Path, clock: TestClock, mail: MailCatcher
) -> None:
    settings = _devbox(tmp_path, smtp_url=mail.url, outbox_poll=0.05)
    with serve(settings, clock) as client:
        Browser(client).register(ALICE)
        link = link_in(mail.wait_for(ALICE)[0])
        # The server has the mail before the sender has written down that it was sent.
        settled(Database.of(settings))
        page = client.get("/_dev/mail")
    assert page.status_code == 200
    assert ALICE in page.text
    assert "sent" in page.text
    assert link not in page.text
    assert "verify-email?token" not in page.text


def test_without_the_setting_there_is_no_dev_mailbox(client: TestClient[Litestar]) -> None:
    assert client.get("/_dev/mail").status_code == 404
