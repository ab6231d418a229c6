"""Issue 3: rotation grace, reuse detection and instant revocation, over HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient

from app.clock import TestClock
from app.config import Settings
from app.main import create_app
from tests.integration.conftest import (
    BASE_URL,
    PASSWORD,
    Browser,
    StatementLog,
    auth_set_cookie,
    csrf_token,
)

COOKIE = "__Host-auth"
DAY = 86400


def _rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(Path(settings.data_dir) / "app.db") as db:
        return db.execute(sql).fetchall()


def _cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


def _signed_in(client: TestClient[Litestar], token: str) -> bool:
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    response = client.get("/dashboard", follow_redirects=False)
    return response.status_code == 200


async def test_ten_concurrent_requests_past_the_token_end_on_one_successor(
    clock: TestClock, settings: Settings
) -> None:
    app = create_app(settings, clock=clock)
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        page = await client.get("/register")
        await client.post(
            "/register",
            data={
                "email": "alice@example.com",
                "password": PASSWORD,
                "_csrf_token": csrf_token(page.text),
            },
        )
        token = client.cookies.get(COOKIE)
        assert token
        clock.advance(DAY + 1)  # past the token lifetime: every request goes to tier 3

        async def one() -> tuple[int, str | None]:
            # One client per request, like ten tabs: no shared cookie jar.
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as tab:
                tab.cookies.set(COOKIE, token)
                response = await tab.get("/dashboard", headers={"HX-Request": "true"})
                return response.status_code, auth_set_cookie(response, COOKIE)

        results = await asyncio.gather(*(one() for _ in range(10)))

        assert [status for status, _ in results] == [200] * 10
        cookies = [header for _, header in results]
        assert all(header and "Max-Age=0" not in header for header in cookies), cookies
        assert len({_cookie_value(header) for header in cookies if header}) == 1
        assert len(_rows(settings, "SELECT id FROM sessions")) == 1
        assert len(_rows(settings, "SELECT id FROM auth_events WHERE kind = 'rotated'")) == 1
        client.cookies.clear()
        client.cookies.set(COOKIE, _cookie_value(cookies[0] or ""))
        assert (await client.get("/dashboard", follow_redirects=False)).status_code == 200


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
    assert _cookie_value(auth_set_cookie(retry, COOKIE) or "") == _cookie_value(successor)


def test_reuse_after_the_grace_signs_out_every_device_of_the_family(
    clock: TestClock, settings: Settings, visitor: Browser
) -> None:
    visitor.register()
    stolen = visitor.token
    assert stolen
    clock.advance(DAY)
    legit = auth_set_cookie(visitor.client.get("/dashboard"), COOKIE)
    assert legit
    legit_token = _cookie_value(legit)
    clock.advance(30)  # exactly the grace: no longer inside it

    visitor.client.cookies.clear()
    visitor.client.cookies.set(COOKIE, stolen)
    replay = visitor.client.get("/dashboard", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")

    # The rightful holder's fresh token (inside its access window) is refused too.
    assert not _signed_in(visitor.client, legit_token)
    assert _rows(settings, "SELECT id FROM sessions") == []
    kinds = [k for (k,) in _rows(settings, "SELECT kind FROM auth_events")]
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
    tmp_path: Path, settings: Settings, clock: TestClock, visitor: Browser
) -> None:
    visitor.register()
    copied = visitor.token
    assert copied
    visitor.logout()

    restarted = create_app(settings, clock=clock)
    with TestClient(restarted, base_url=BASE_URL) as client:
        client.cookies.set(COOKIE, copied)
        response = client.get("/dashboard", follow_redirects=False)
        assert response.status_code == 303
        page = client.get("/login")
        assert csrf_token(page.text)


def test_a_secret_two_rotations_old_still_counts_as_reuse(
    clock: TestClock, settings: Settings, visitor: Browser
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
    assert not _signed_in(visitor.client, legit)
    kinds = [k for (k,) in _rows(settings, "SELECT kind FROM auth_events")]
    assert "reuse_detected" in kinds


async def test_parallel_wrong_passwords_are_all_counted(
    clock: TestClock, settings: Settings
) -> None:
    app = create_app(settings, clock=clock)
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        page = await client.get("/register")
        data = {"email": "alice@example.com", "password": PASSWORD}
        await client.post("/register", data={**data, "_csrf_token": csrf_token(page.text)})

        async def guess() -> int:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as tab:
                form = await tab.get("/login")
                response = await tab.post(
                    "/login",
                    data={
                        "email": "alice@example.com",
                        "password": "wrong guess number one",
                        "_csrf_token": csrf_token(form.text),
                    },
                )
                return response.status_code

        statuses = await asyncio.gather(*(guess() for _ in range(25)))
    assert statuses.count(401) == settings.login_max_failures
    assert statuses.count(429) == 25 - settings.login_max_failures
