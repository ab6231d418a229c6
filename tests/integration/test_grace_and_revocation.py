"""Issue 3: rotation grace, reuse detection and instant revocation, over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.main import create_app
from tests.support.apps import serve
from tests.support.backends import WITH_STORES
from tests.support.browser import (
    Browser,
    auth_set_cookie,
    cookie_value,
    csrf_token,
    in_app_loop,
    tab,
)
from tests.support.database import Database
from tests.support.settings import BASE_URL
from tests.support.statements import StatementLog, recording

COOKIE = "__Host-auth"
DAY = 86400


pytestmark = pytest.mark.backends(*WITH_STORES)


def test_ten_concurrent_requests_past_the_token_end_on_one_successor(
    clock: TestClock, visitor: Browser, db: Database
) -> None:
    visitor.register()
    token = visitor.token
    assert token
    clock.advance(DAY + 1)  # past the token lifetime: every request goes to tier 3

    async def one() -> tuple[int, str | None]:
        # One client per request, like ten tabs: no shared cookie jar.
        async with await tab(visitor.client, {COOKIE: token}) as browser_tab:
            response = await browser_tab.get("/dashboard", headers={"HX-Request": "true"})
            return response.status_code, auth_set_cookie(response, COOKIE)

    async def ten() -> list[tuple[int, str | None]]:
        return list(await asyncio.gather(*(one() for _ in range(10))))

    results = in_app_loop(visitor.client, ten)

    assert [status for status, _ in results] == [200] * 10
    cookies = [header for _, header in results]
    assert all(header and "Max-Age=0" not in header for header in cookies), cookies
    assert len({cookie_value(header) for header in cookies if header}) == 1
    assert db.count("sessions") == 1
    assert db.rows("SELECT count(*) FROM auth_events WHERE kind = 'rotated'") == [(1,)]
    assert visitor.signed_in_with(cookie_value(cookies[0] or ""))


def test_a_request_inside_the_grace_with_the_old_secret_gets_the_successor(
    clock: TestClock, visitor: Browser
) -> None:
    visitor.register()
    old = visitor.token
    assert old
    clock.advance(DAY)
    first = visitor.client.get("/dashboard")
    successor = auth_set_cookie(first, COOKIE)
    assert successor
    clock.advance(29)  # the response was lost; the browser retries with the old cookie
    visitor.client.cookies.clear()
    visitor.client.cookies.set(COOKIE, old)
    retry = visitor.client.get("/dashboard", follow_redirects=False)
    assert retry.status_code == 200
    assert cookie_value(auth_set_cookie(retry, COOKIE) or "") == cookie_value(successor)


def test_reuse_after_the_grace_signs_out_every_device_of_the_family(
    clock: TestClock, settings: Settings, visitor: Browser, db: Database
) -> None:
    visitor.register()
    stolen = visitor.token
    assert stolen
    clock.advance(DAY)
    legit = auth_set_cookie(visitor.client.get("/dashboard"), COOKIE)
    assert legit
    legit_token = cookie_value(legit)
    clock.advance(30)  # exactly the grace: no longer inside it

    visitor.client.cookies.clear()
    visitor.client.cookies.set(COOKIE, stolen)
    replay = visitor.client.get("/dashboard", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")

    # The rightful holder's fresh token (inside its access window) is refused too.
    assert not visitor.signed_in_with(legit_token)
    assert db.rows("SELECT id FROM sessions") == []
    kinds = [k for (k,) in db.rows("SELECT kind FROM auth_events")]
    assert "reuse_detected" in kinds


def test_logout_then_replay_inside_the_access_window_is_refused_without_a_session_query(
    visitor: Browser, statements: StatementLog
) -> None:
    visitor.register()
    copied = visitor.token
    assert copied
    assert visitor.logout().status_code == 303

    statements.reset()
    visitor.client.cookies.clear()
    visitor.client.cookies.set(COOKIE, copied)
    replay = visitor.client.get("/dashboard", follow_redirects=False)
    assert replay.status_code == 303
    assert statements.touching("sessions") == []
    assert "Max-Age=0" in (auth_set_cookie(replay, COOKIE) or "")


def test_a_restart_keeps_revoked_sessions_revoked(
    settings: Settings, clock: TestClock, visitor: Browser
) -> None:
    visitor.register()
    copied = visitor.token
    assert copied
    visitor.logout()

    # A new process: its denylist mirror is loaded from the revocations table at start-up,
    # so the copy is refused inside its access window without reading the session table.
    restarted = create_app(settings, clock=clock)
    with (
        TestClient(restarted, base_url=BASE_URL) as client,
        recording(restarted.state.engine) as statements,
    ):
        client.cookies.set(COOKIE, copied)
        response = client.get("/dashboard", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Fdashboard"
        assert "Max-Age=0" in (auth_set_cookie(response, COOKIE) or "")
        assert statements.touching("sessions") == []


def test_a_secret_two_rotations_old_still_counts_as_reuse(
    clock: TestClock, settings: Settings, visitor: Browser, db: Database
) -> None:
    visitor.register()
    stolen = visitor.token
    assert stolen
    for _ in range(2):  # the rightful browser rotates twice
        clock.advance(DAY)
        assert visitor.client.get("/dashboard").status_code == 200
    legit = visitor.client.cookies.get(COOKIE)
    assert legit

    visitor.client.cookies.clear()
    visitor.client.cookies.set(COOKIE, stolen)
    assert visitor.client.get("/dashboard", follow_redirects=False).status_code == 303
    assert not visitor.signed_in_with(legit)
    kinds = [k for (k,) in db.rows("SELECT kind FROM auth_events")]
    assert "reuse_detected" in kinds


def test_parallel_wrong_passwords_are_all_counted(settings: Settings, clock: TestClock) -> None:
    roomy = settings.model_copy(update={"hash_concurrency": 8})  # 25 hashes may wait
    with serve(roomy, clock) as client:
        _parallel_wrong_passwords(roomy, Browser(client))


def _parallel_wrong_passwords(settings: Settings, visitor: Browser) -> None:
    visitor.register()

    async def guess() -> int:
        async with await tab(visitor.client) as browser_tab:
            form = await browser_tab.get("/login")
            response = await browser_tab.post(
                "/login",
                data={
                    "email": "alice@example.com",
                    "password": "wrong guess number one",
                    "_csrf_token": csrf_token(form.text),
                },
            )
            return response.status_code

    async def guesses() -> list[int]:
        return list(await asyncio.gather(*(guess() for _ in range(25))))

    statuses = in_app_loop(visitor.client, guesses)
    assert statuses.count(401) == settings.login_max_failures
    assert statuses.count(429) == 25 - settings.login_max_failures
