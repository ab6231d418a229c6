"""What a person does with mailed links: ask for one, open it, press its button; and
what a test waits for (the mail sender has dealt with every row)."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import Browser, csrf_token
from tests.support.database import Database
from tests.support.smtp import MailCatcher, link_in

__all__ = [
    "ask_for_change",
    "change_password",
    "forgot",
    "latest_link",
    "path_of",
    "post_link",
    "press",
    "settled",
    "token_of",
]

# Which form posts a link's token, by the page the link opens.
SUBMIT = {"/reset-password": "/reset-password", "/verify-email": "/verify-email"}


def settled(db: Database, timeout: float = 10.0) -> None:
    """Poll (a bounded real time) until the mail sender has dealt with every row: nothing
    requested, queued or being sent. Then what has not arrived will not."""
    deadline = time.monotonic() + timeout
    pending = "SELECT count(*) FROM outbox WHERE status IN ('requested', 'queued', 'sending')"
    while db.rows(pending) != [(0,)]:
        assert time.monotonic() < deadline, db.rows("SELECT status, kind FROM outbox")
        time.sleep(0.02)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def latest_link(mail: MailCatcher, address: str, subject_word: str, *, count: int = 1) -> str:
    """The link in the ``count``-th mail to ``address`` whose subject has ``subject_word``."""
    found = mail.wait_for(
        address, count=count, where=lambda m: subject_word in str(m["Subject"]).lower()
    )
    assert len(found) >= count, [m["Subject"] for m in mail.to(address)]
    return link_in(found[count - 1])


def forgot(client: TestClient[Litestar], email: str) -> Any:
    page = client.get("/forgot-password")
    return client.post(
        "/forgot-password",
        data={"email": email, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )


def post_link(client: TestClient[Litestar], link: str, **fields: str) -> Any:
    """POST a link's token to its form, as a forged or replayed button would (the CSRF
    token from a page that works whatever the link)."""
    path = urlsplit(link).path
    page = client.get("/forgot-password")
    data = {"token": token_of(link), "_csrf_token": csrf_token(page.text), **fields}
    return client.post(path, data=data, follow_redirects=False)


def press(client: TestClient[Litestar], link: str, **fields: str) -> Any:
    """Open the link (its page must work) and submit the form it shows."""
    page = client.get(path_of(link))
    assert page.status_code == 200, page.text
    assert re.search(rf'name="token" value="{re.escape(token_of(link))}"', page.text)
    data = {"token": token_of(link), "_csrf_token": csrf_token(page.text), **fields}
    return client.post(urlsplit(link).path, data=data, follow_redirects=False)


def ask_for_change(browser: Browser, new_email: str, password: str) -> Any:
    return browser.post_form(
        "/account/email",
        {"new_email": new_email, "current_password": password},
        follow_redirects=False,
    )


def change_password(browser: Browser, current: str, new: str) -> Any:
    return browser.post_form(
        "/account/password",
        {"current_password": current, "new_password": new, "new_password_confirm": new},
        follow_redirects=False,
    )
