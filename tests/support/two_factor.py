"""What a person does with the authenticator app and recovery codes, through the pages:
read the key off the set-up page, compute a code on the test clock, turn the app on,
read the recovery codes shown once, sign in with the second step."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pyotp

from app.clock import TestClock
from tests.support.browser import Browser
from tests.support.settings import PASSWORD

__all__ = [
    "Enrolled",
    "code_at",
    "recovery_codes_on",
    "secret_on",
    "sign_in_with_code",
    "turn_on",
]

STEP = 30


@dataclass(frozen=True)
class Enrolled:
    secret: str
    codes: list[str]


def secret_on(page: str) -> str:
    """The key as the set-up page shows it (in groups), without the spaces."""
    found = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page)
    assert found, page
    return html.unescape(found[1]).replace(" ", "")


def recovery_codes_on(page: str) -> list[str]:
    block = re.search(r'id="recovery-codes"(.*?)</ul>', page, re.S)
    assert block, page
    return [html.unescape(code) for code in re.findall(r"<code>([^<]+)</code>", block[1])]


def code_at(secret: str, when: int) -> str:
    return pyotp.TOTP(secret).at(when)


def turn_on(browser: Browser, clock: TestClock) -> Enrolled:
    """From a signed-in browser with a fresh proof: set the app up with a code of now, and
    read the ten recovery codes shown once."""
    secret = secret_on(browser.client.get("/account/totp").text)
    response = browser.post_form(
        "/account/totp", {"code": code_at(secret, clock.now())}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account/recovery-codes"
    codes = recovery_codes_on(browser.client.get("/account/recovery-codes").text)
    assert len(codes) == 10
    return Enrolled(secret, codes)


def sign_in_with_code(
    browser: Browser, email: str, code: str, *, password: str = PASSWORD, **extra: str
) -> Any:
    """The password, then the code: the second step's answer."""
    first = browser.login(email, password, **extra)
    assert first.status_code == 303, first.text
    assert first.headers["location"] == "/login/two-factor"
    return browser.post_form("/login/two-factor", {"code": code}, follow_redirects=False)
