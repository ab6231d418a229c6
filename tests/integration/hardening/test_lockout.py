"""No lock a stranger can put on an account (red-team finding: 10 wrong passwords from
anywhere gave the owner 429 for the right one, and blocked the signed-in owner's password
change). Failures count per (account, client address), and at a higher limit per account;
a browser that has signed in to the account before carries a device cookie and keeps its
own allowance; the password form has a counter of its own.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import httpx
import pytest

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.backends import WITH_STORES
from tests.support.browser import Browser, csrf_token, in_app_loop, tab
from tests.support.hostile import ALICE
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends(*WITH_STORES)

WRONG = "not alice's password, surely"
DEVICE = "__Host-device"


async def _login(
    browser: httpx.AsyncClient, email: str = ALICE, password: str = WRONG
) -> httpx.Response:
    form = await browser.get("/login")
    return await browser.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": csrf_token(form.text)},
        follow_redirects=False,
    )


def _from(visitor: Browser, address: str, cookies: httpx.Cookies | None = None) -> httpx.Response:
    """One sign-in from another network (the right password when ``cookies`` are given)."""

    async def attempt() -> httpx.Response:
        async with await tab(visitor.client, cookies, address=address) as browser:
            return await _login(browser, password=PASSWORD if cookies is not None else WRONG)

    return in_app_loop(visitor.client, attempt)


def test_a_stranger_guessing_from_one_address_is_throttled_there(
    visitor: Browser, settings: Settings
) -> None:
    assert visitor.register(ALICE).status_code == 303
    statuses = [_from(visitor, "203.0.113.7").status_code for _ in range(12)]
    assert statuses == [401] * settings.login_max_failures + [429] * 2


def test_a_browser_without_a_device_cookie_is_throttled_as_before(
    visitor: Browser, settings: Settings
) -> None:
    """APP_LOGIN_MAX_FAILURES keeps its meaning: the right password from that same
    address, in a browser the account does not know, waits too."""
    assert visitor.register(ALICE).status_code == 303
    for _ in range(settings.login_max_failures):
        assert _from(visitor, "203.0.113.7").status_code == 401
    unknown_browser = httpx.Cookies()
    assert _from(visitor, "203.0.113.7", unknown_browser).status_code == 429


def test_strangers_everywhere_cannot_lock_the_owner_out_of_a_browser_it_knows(
    settings: Settings, clock: TestClock
) -> None:
    # 120 hashes may wait, and 120 requests for the pool's 15 connections: on a loaded
    # machine the default 5 s wait for one would answer some of them 503 (busy).
    roomy = settings.model_copy(update={"hash_concurrency": 32, "db_timeout": 60})
    with serve(roomy, clock) as client:
        _botnet(Browser(client), roomy)


def _botnet(visitor: Browser, settings: Settings) -> None:
    assert visitor.register(ALICE).status_code == 303  # registering counts as signing in
    device = visitor.client.cookies.get(DEVICE)
    assert device
    owner = httpx.Cookies({DEVICE: device})

    async def botnet() -> list[int]:
        async def guess(n: int) -> int:
            async with await tab(visitor.client, address=f"198.51.100.{n % 250}") as browser:
                return (await _login(browser)).status_code

        return list(await asyncio.gather(*(guess(n) for n in range(120))))

    statuses = in_app_loop(visitor.client, botnet)
    assert set(statuses) == {401, 429}, Counter(statuses)
    assert statuses.count(401) == settings.account_max_failures  # the account's own limit
    assert statuses.count(429) == 120 - settings.account_max_failures
    stranger_with_the_password = _from(visitor, "192.0.2.1", httpx.Cookies())
    assert stranger_with_the_password.status_code == 429  # untrusted browsers wait ...
    assert _from(visitor, "192.0.2.1", owner).status_code == 303  # ... the owner's does not


def test_the_device_cookie_is_signed_and_per_account(visitor: Browser) -> None:
    assert visitor.register(ALICE).status_code == 303
    device = visitor.client.cookies.get(DEVICE)
    assert device
    assert re.fullmatch(r"v1\.\d+\.[\w-]+\.[\w-]+", device)
    forged = re.sub(r"\.[\w-]+$", ".AAAAAAAAAAAAAAAAAAAAAA", device)
    for _ in range(10):
        _from(visitor, "198.51.100.1")
    for _ in range(100):  # the account's limit: untrusted browsers now wait
        _from(visitor, f"198.51.100.{_ % 200 + 2}")
    assert _from(visitor, "192.0.2.9", httpx.Cookies({DEVICE: forged})).status_code == 429
    assert _from(visitor, "192.0.2.9", httpx.Cookies({DEVICE: device})).status_code == 303


def test_the_password_form_has_its_own_counter_and_never_blocks_signing_in(
    visitor: Browser, settings: Settings
) -> None:
    assert visitor.register(ALICE).status_code == 303
    statuses = []
    for _ in range(settings.login_max_failures + 1):
        response = visitor.post_form(
            "/account/password",
            {"current_password": WRONG, "new_password": "a brand new long passphrase"},
        )
        statuses.append(response.status_code)
    assert statuses == [422] * settings.login_max_failures + [429]
    # Signing in is untouched, from this address too, in a browser the account knows or not.
    assert _from(visitor, "testclient", httpx.Cookies()).status_code == 303
    other = visitor.another_device()
    assert other.login(ALICE).status_code == 303
