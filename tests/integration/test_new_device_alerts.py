"""New-device sign-in alerts and their "not me" link (issue 21): one mail for a browser
the account does not know, none for a known one or for registration, none past the
per-address limit (the sign-in still works), none when turned off; the link's page
changes nothing, its button ends that sign-in everywhere at once, once, for
APP_VERIFY_TTL."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import Browser, csrf_token
from tests.support.database import Database
from tests.support.links import latest_link, path_of, press, settled, token_of
from tests.support.settings import BASE_URL, make_settings
from tests.support.smtp import MailCatcher, text_of

OWNER = "owner@example.com"
ALERT = "new sign-in"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


def _alerts(mail: MailCatcher) -> list[str]:
    return [str(m["Subject"]) for m in mail.to(OWNER) if ALERT in str(m["Subject"]).lower()]


def test_an_unknown_browser_is_reported_and_the_link_ends_that_sign_in(
    visitor: Browser, mail: MailCatcher, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303  # registration: no alert
    assert visitor.logout().status_code == 303
    assert visitor.login(OWNER).status_code == 303  # this browser is known: no alert
    stranger = visitor.another_device()
    signed_in = stranger.login(OWNER, headers={"User-Agent": PHONE})
    assert signed_in.status_code == 303
    link = latest_link(mail, OWNER, ALERT)
    settled(db)
    assert len(_alerts(mail)) == 1
    alert = next(m for m in mail.to(OWNER) if ALERT in str(m["Subject"]).lower())
    text = text_of(alert)
    assert "Safari on iOS" in text
    assert "(testclient)" in text  # the network: the test client's own address
    assert "2027-01-15 08:00:00 UTC" in text
    assert link.startswith(f"{BASE_URL}/not-me?token=")

    # Opening it shows what happened and changes nothing (a mail scanner opens links).
    page = visitor.client.get(path_of(link))
    assert page.status_code == 200
    assert '<form method="post" action="/not-me">' in page.text
    assert "Safari on iOS" in page.text
    assert stranger.client.get("/dashboard", follow_redirects=False).status_code == 200
    # Its button ends that sign-in at once; the owner's own stays.
    ended = press(visitor.client, link)
    assert ended.status_code == 200, ended.text
    assert 'href="/forgot-password"' in ended.text
    assert stranger.client.get("/dashboard", follow_redirects=False).status_code == 303
    assert visitor.client.get("/dashboard", follow_redirects=False).status_code == 200
    assert "reported as not me" in visitor.client.get("/sessions").text
    # Used: it works no more.
    assert visitor.client.get(path_of(link)).status_code == 400
    assert press_again(visitor.client, link).status_code == 400


def press_again(client: TestClient[Litestar], link: str) -> object:
    page = client.get("/login")
    return client.post(
        "/not-me",
        data={"token": token_of(link), "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )


@pytest.mark.backends("sqlite")  # the link's lifetime is arithmetic on the clock
def test_the_link_expires_and_an_unknown_one_is_refused(
    visitor: Browser, mail: MailCatcher, clock: TestClock, settings: Settings
) -> None:
    assert visitor.register(OWNER).status_code == 303
    assert visitor.another_device().login(OWNER).status_code == 303
    link = latest_link(mail, OWNER, ALERT)
    clock.advance(settings.verify_ttl - 1)
    assert visitor.client.get(path_of(link)).status_code == 200
    clock.advance(1)
    assert visitor.client.get(path_of(link)).status_code == 400
    assert press_again(visitor.client, link).status_code == 400
    assert visitor.client.get("/not-me?token=nothing-we-sent").status_code == 400
    assert visitor.client.get("/not-me").status_code == 400


@pytest.mark.backends("sqlite")  # the per-address limit is counted like every notice's
def test_past_the_mail_limit_the_sign_in_works_and_nothing_is_sent(
    visitor: Browser, mail: MailCatcher, db: Database, settings: Settings
) -> None:
    assert visitor.register(OWNER).status_code == 303
    for _ in range(settings.mail_max_per_address + 2):
        assert visitor.another_device().login(OWNER).status_code == 303
    settled(db)
    assert len(_alerts(mail)) == settings.mail_max_per_address
    assert db.rows("SELECT count(*) FROM email_tokens WHERE purpose = 'not_me'") == [
        (settings.mail_max_per_address,)
    ]


@pytest.mark.backends("sqlite")  # a setting read at start-up
def test_alerts_can_be_turned_off(tmp_path: Path, clock: TestClock, mail: MailCatcher) -> None:
    settings = make_settings(tmp_path, smtp_url=mail.url, outbox_poll=0.05, new_device_alerts=False)
    with serve(settings, clock) as client:
        owner = Browser(client)
        assert owner.register(OWNER).status_code == 303
        assert owner.another_device().login(OWNER).status_code == 303
        settled(Database.of(settings))
    assert _alerts(mail) == []
