"""The work a password costs the server is bounded, so no visitor can spend it for others.

zxcvbn's strength estimate runs off the event loop (a crafted password once held it for a
quarter of a second) and the strength hint is limited per client; every registration
attempt is counted before the form is judged; a sign-in behind a full Argon2 queue is told
to come back (503 with ``Retry-After``) instead of waiting. (Red-team findings: High, Low.)
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import HTMX, Browser, csrf_token, in_app_loop, tab
from tests.support.hostile import ALICE, assert_plain_page
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


CRAFTED = "8453!67$<[{9|!@15<(+"  # zxcvbn's l33t enumeration: 250 ms of CPU for this one


def test_crafted_passwords_do_not_stall_other_requests(visitor: Browser) -> None:
    visitor.client.get("/register")

    async def race() -> tuple[float, list[int]]:
        async with await tab(visitor.client) as browser:
            form = await browser.get("/register")
            token = csrf_token(form.text)

            async def strength() -> int:
                data = {"password": CRAFTED, "_csrf_token": token}
                return (await browser.post("/password-strength", data=data)).status_code

            async def health() -> float:
                await asyncio.sleep(0)  # let the strength requests start first
                started = time.perf_counter()
                await browser.get("/healthz")
                return time.perf_counter() - started

            *statuses, waited = await asyncio.gather(*(strength() for _ in range(4)), health())
        return waited, statuses

    waited, statuses = in_app_loop(visitor.client, race)
    assert statuses == [200] * 4
    assert waited < 0.2  # on the event loop, the four would have held it for a second


def test_the_strength_hint_is_limited_per_client(visitor: Browser) -> None:
    token = csrf_token(visitor.client.get("/register").text)
    statuses = [
        visitor.client.post(
            "/password-strength", data={"password": "abc", "_csrf_token": token}, headers=HTMX
        ).status_code
        for _ in range(61)
    ]
    assert statuses == [200] * 60 + [429]
    paused = visitor.client.post(
        "/password-strength", data={"password": "abc", "_csrf_token": token}, headers=HTMX
    )
    assert paused.status_code == 429
    assert "paused" in paused.text
    assert int(paused.headers["retry-after"]) > 0


def test_every_registration_attempt_counts_before_the_form_is_judged(
    settings: Settings, clock: object
) -> None:
    limited = settings.model_copy(update={"ip_max_attempts": 3})
    with serve(limited, clock) as client:  # type: ignore[arg-type]
        visitor = Browser(client)
        for _ in range(3):  # invalid forms: a weak password each time
            assert visitor.register(ALICE, "short").status_code == 422
        assert visitor.register(ALICE).status_code == 429  # now even a good one waits


def test_sign_in_behind_a_full_hash_queue_is_a_503_with_retry_after(
    settings: Settings, clock: object
) -> None:
    one_hasher = settings.model_copy(update={"hash_concurrency": 1})
    with serve(one_hasher, clock) as client:  # type: ignore[arg-type]
        passwords = client.app.state.core.passwords
        token = csrf_token(client.get("/login").text)

        async def crowd() -> httpx.Response:
            # The one hashing thread is busy (as with a long hash) while the queue fills up,
            # so the sign-in finds it full however slowly this machine gets there; a crowd
            # of real hashes would drain while a loaded machine was still on its way.
            async with passwords._limiter:  # holding the worker, as a long hash does
                busy = [
                    asyncio.create_task(passwords.verify(None, "someone else"))
                    for _ in range(passwords.max_waiting)
                ]
                async with await tab(client, client.cookies) as browser:
                    form = {"email": ALICE, "password": PASSWORD, "_csrf_token": token}
                    # Unbounded, the sign-in would wait for the worker: fail, do not hang.
                    response = await asyncio.wait_for(browser.post("/login", data=form), 10)
            await asyncio.gather(*busy)
            return response

        response = in_app_loop(client, crowd)
    assert_plain_page(response, 503, "try again")
    assert int(response.headers["retry-after"]) > 0
