"""A forgotten password, over a real SMTP server (aiosmtpd): the interface README gives,
sentence by sentence, on every backend."""

from __future__ import annotations

import hashlib
import re
import statistics
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.backends import WITH_STORES
from tests.support.browser import HTMX, Browser, csrf_token, field_error, set_cookie_headers
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.links import settled
from tests.support.settings import BASE_URL, PASSWORD
from tests.support.smtp import MailCatcher, link_in, text_of

pytestmark = pytest.mark.backends(*WITH_STORES)

SENT = "If an account exists for that address, we have sent a link to reset its password."
NEW = "a fresh long passphrase 77"
UNKNOWN = "carol@example.com"
TOKEN = re.compile(r"[0-9a-f]{128}")  # CSRF tokens: the one part two pages may differ in


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


@pytest.fixture
def alice(visitor: Browser, mail: MailCatcher) -> Browser:
    assert visitor.register(ALICE).status_code == 303
    assert mail.wait_for(ALICE)  # the address check, sent at registration
    return visitor


def _forgot(client: TestClient[Litestar], email: str, **kwargs: Any) -> Any:
    page = client.get("/forgot-password")
    return client.post(
        "/forgot-password",
        data={"email": email, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
        **kwargs,
    )


def _reset_link(mail: MailCatcher, count: int = 1) -> str:
    resets = mail.wait_for(ALICE, count=count, where=lambda m: "reset" in str(m["Subject"]))
    assert len(resets) == count, [m["Subject"] for m in mail.to(ALICE)]
    return link_in(resets[-1])


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _reset(client: TestClient[Litestar], link: str, password: str = NEW, **extra: str) -> Any:
    """Post the reset form (the CSRF token from a form page that works whatever the link)."""
    page = client.get("/forgot-password")
    data = {"token": _token(link), "new_password": password, "new_password_confirm": password}
    data |= extra
    return client.post(
        "/reset-password",
        data={**data, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )


def test_the_forgot_page_is_the_same_for_known_and_unknown_addresses(
    alice: Browser, mail: MailCatcher
) -> None:
    client = alice.client
    client.cookies.clear()
    known, unknown = _forgot(client, ALICE), _forgot(client, UNKNOWN)
    assert known.status_code == unknown.status_code == 200
    assert SENT in known.text
    assert TOKEN.sub("", known.text.replace(ALICE, "E")) == TOKEN.sub(
        "", unknown.text.replace(UNKNOWN, "E")
    )
    assert not [h for h in set_cookie_headers(known) if h.startswith("__Host-auth")]
    assert _reset_link(mail).startswith(f"{BASE_URL}/reset-password?token=")
    settled(Database.of(alice.client.app.state.settings))  # every request was dealt with
    assert not [m for m in mail.to(UNKNOWN) if "http" in text_of(m)]
    assert len(mail.to(ALICE)) == 2  # the check at registration, and one reset


def test_asking_takes_as_long_for_an_unknown_address(alice: Browser) -> None:
    client = alice.client
    client.cookies.clear()
    token = csrf_token(client.get("/forgot-password").text)

    def timed(email: str) -> float:
        started = time.perf_counter()
        response = client.post("/forgot-password", data={"email": email, "_csrf_token": token})
        assert response.status_code == 200
        return time.perf_counter() - started

    known, unknown = [], []
    for n in range(12):  # interleaved; distinct addresses so the mail limit never steps in
        known.append(timed(ALICE if n < 3 else f"alice+{n}@example.com"))
        unknown.append(timed(f"nobody{n}@example.com"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 2 / 3 <= ratio <= 3 / 2  # the same work: one row, whatever the address


def test_the_link_is_built_from_the_base_url_never_from_the_request(
    settings: Settings, clock: TestClock, mail: MailCatcher
) -> None:
    aliased = settings.model_copy(update={"allowed_hosts": ["testserver.local", "alias.example"]})
    with serve(aliased, clock) as client:
        assert Browser(client).register(ALICE).status_code == 303
        client.cookies.clear()
        hostile = {
            "Host": "alias.example",
            "X-Forwarded-Host": "evil.example",
            "Forwarded": "host=evil.example;proto=http",
        }
        page = client.get("/forgot-password", headers=hostile)
        client.post(
            "/forgot-password",
            data={"email": ALICE, "_csrf_token": csrf_token(page.text)},
            headers={**hostile, "Origin": "https://alias.example"},
        )
        link = _reset_link(mail)
    assert link.startswith(f"{BASE_URL}/reset-password?token=")
    assert "evil" not in link
    assert "alias" not in link


def test_opening_the_link_does_not_use_it_the_form_does_once(
    alice: Browser, mail: MailCatcher
) -> None:
    client = alice.client
    _forgot(client, ALICE)
    link = _reset_link(mail)
    for _ in range(3):  # a mail scanner, a preview, the person
        page = client.get(_path(link))
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert f'name="token" value="{_token(link)}"' in page.text
    done = _reset(client, link)
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert done.headers["referrer-policy"] == "no-referrer"
    assert not [h for h in set_cookie_headers(done) if h.startswith("__Host-auth=ey")]
    again = _reset(client, link, password="yet another long passphrase")
    assert again.status_code == 400
    assert again.headers["referrer-policy"] == "no-referrer"
    assert 'href="/forgot-password"' in again.text
    assert client.get(_path(link)).status_code == 400
    client.cookies.clear()
    assert alice.login(ALICE, NEW).status_code == 303
    client.cookies.clear()
    assert alice.login(ALICE, PASSWORD).status_code == 401


def test_a_reset_ends_every_session_at_once_even_inside_the_access_window(
    alice: Browser, mail: MailCatcher, db: Database, statements: Any
) -> None:
    stolen = alice.token
    assert stolen
    other = alice.another_device()
    assert other.login(ALICE).status_code == 303
    phone = other.token
    helper = alice.another_device()
    _forgot(helper.client, ALICE)
    assert _reset(helper.client, _reset_link(mail)).status_code == 303
    assert db.count("sessions") == 0
    statements.reset()
    assert not alice.signed_in_with(stolen)
    assert not alice.signed_in_with(phone)
    assert statements.touching("sessions") == []  # refused by the denylist, tier 1
    notice = mail.wait_for(ALICE, where=lambda m: m["Subject"] == "Your password was changed")
    assert notice
    assert "http" not in text_of(notice[0]).split("reset your password now")[0]


def test_a_reset_marks_the_address_verified(
    alice: Browser, mail: MailCatcher, db: Database
) -> None:
    assert db.rows("SELECT email_verified_at FROM users") == [(None,)]
    _forgot(alice.client, ALICE)
    assert _reset(alice.client, _reset_link(mail)).status_code == 303
    [(verified,)] = db.rows("SELECT email_verified_at FROM users")
    assert verified is not None


def test_a_newer_request_makes_the_older_link_fail(alice: Browser, mail: MailCatcher) -> None:
    _forgot(alice.client, ALICE)
    older = _reset_link(mail)
    _forgot(alice.client, ALICE)
    newer = _reset_link(mail, count=2)
    assert older != newer
    assert alice.client.get(_path(older)).status_code == 400
    assert _reset(alice.client, older).status_code == 400
    assert _reset(alice.client, newer).status_code == 303


@pytest.mark.parametrize(("after", "works"), [(-1, True), (0, False), (1, False)])
def test_the_link_expires_reset_ttl_after_it_was_sent(
    alice: Browser, mail: MailCatcher, clock: TestClock, settings: Settings, after: int, works: bool
) -> None:
    _forgot(alice.client, ALICE)
    link = _reset_link(mail)
    clock.advance(settings.reset_ttl + after)
    assert (alice.client.get(_path(link)).status_code == 200) is works
    assert (_reset(alice.client, link).status_code == 303) is works


def test_a_refused_new_password_leaves_the_link_working(alice: Browser, mail: MailCatcher) -> None:
    _forgot(alice.client, ALICE)
    link = _reset_link(mail)
    weak = _reset(alice.client, link, password="passwordpassword")
    assert weak.status_code == 422
    assert field_error(weak.text, "new_password")
    mismatch = _reset(alice.client, link, new_password_confirm="something else entirely")
    assert mismatch.status_code == 422
    assert field_error(mismatch.text, "new_password_confirm")
    assert _reset(alice.client, link).status_code == 303


def test_an_unknown_or_broken_token_is_a_plain_400(client: TestClient[Litestar]) -> None:
    for token in ("", "nope", "x" * 5000, "%00"):
        response = client.get(f"/reset-password?token={token}")
        assert response.status_code == 400
        assert "does not work" in response.text
        assert 'href="/forgot-password"' in response.text


def test_only_the_tokens_hash_is_stored(alice: Browser, mail: MailCatcher, db: Database) -> None:
    _forgot(alice.client, ALICE)
    token = _token(_reset_link(mail))
    stored = [row[0] for row in db.rows("SELECT token_hash FROM email_tokens")]
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in repr(db.rows("SELECT * FROM email_tokens"))
    # Delivered, the body that held the link is wiped too: the sender does that once the
    # SMTP server has said yes, a moment after the mail arrived (a bounded wait).
    deadline = time.monotonic() + 10
    while token in (outbox := repr(db.rows("SELECT * FROM outbox"))):
        assert time.monotonic() < deadline, "the delivered mail still holds its link"
        time.sleep(0.02)
    assert "'sent'" in outbox  # and the record of it stays


def test_at_most_so_many_reset_mails_reach_one_address(
    alice: Browser, mail: MailCatcher, settings: Settings
) -> None:
    answers = {_forgot(alice.client, ALICE).text.count(SENT) for _ in range(5)}
    assert answers == {1}  # the same page every time
    settled(Database.of(settings))
    resets = [m for m in mail.to(ALICE) if "reset" in str(m["Subject"])]
    assert len(resets) == settings.mail_max_per_address


def test_the_login_page_links_to_it_and_htmx_gets_the_fragment(
    client: TestClient[Litestar],
) -> None:
    assert 'href="/forgot-password"' in client.get("/login").text
    fragment = _forgot(client, UNKNOWN, headers=HTMX)
    assert fragment.status_code == 200
    assert SENT in fragment.text
    assert "<html" not in fragment.text
