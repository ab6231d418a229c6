"""Each finding of the red-team pass, pinned: what an attacker tried, and what they get now.

(The lockout findings are in test_lockout.py, the slow-client and X-Forwarded-For ones in
tests/multiprocess: they need real sockets and a real proxy.)
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import (
    HTMX,
    Browser,
    csrf_token,
    in_app_loop,
    set_cookie_headers,
    tab,
)
from tests.support.database import Database
from tests.support.hostile import ALICE, assert_plain_page
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play

CRAFTED = "8453!67$<[{9|!@15<(+"  # zxcvbn's l33t enumeration: 250 ms of CPU for this one


# --- High: one password that stalled the server -----------------------------------------


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


# --- Low: a login queued behind 200 others --------------------------------------------------


def test_sign_in_behind_a_full_hash_queue_is_a_503_with_retry_after(
    settings: Settings, clock: object
) -> None:
    real_cost = settings.model_copy(
        update={"hash_concurrency": 1, "argon2_time_cost": 3, "argon2_memory_cost": 65536}
    )
    with serve(real_cost, clock) as client:  # type: ignore[arg-type]
        passwords = client.app.state.core.passwords
        token = csrf_token(client.get("/login").text)

        async def crowd() -> httpx.Response:
            busy = [
                asyncio.create_task(passwords.verify(None, "someone else"))
                for _ in range(passwords.max_waiting)
            ]
            async with await tab(client, client.cookies) as browser:
                form = {"email": ALICE, "password": PASSWORD, "_csrf_token": token}
                response = await browser.post("/login", data=form)
            await asyncio.gather(*busy)
            return response

        response = in_app_loop(client, crowd)
    assert_plain_page(response, 503, "try again")
    assert int(response.headers["retry-after"]) > 0


# --- Medium: a stolen cookie that survived a password change ----------------------------


def test_a_password_change_ends_this_session_too_and_signs_this_browser_in_anew(
    visitor: Browser, db: Database
) -> None:
    assert visitor.register(ALICE).status_code == 303
    stolen = visitor.token
    [(before,)] = db.rows("SELECT public_id FROM sessions")
    changed = visitor.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "an entirely different passphrase"},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    fresh = visitor.token
    assert fresh
    assert fresh != stolen
    [(after,)] = db.rows("SELECT public_id FROM sessions")
    assert after != before  # a new session: new id, new secret
    assert not visitor.signed_in_with(stolen)  # refused at once, inside its access window
    assert visitor.signed_in_with(fresh)


# --- Medium: secrets in a DEBUG log -------------------------------------------------------


def test_a_debug_log_holds_no_hash_password_token_or_secret(
    settings: Settings, clock: object, caplog: pytest.LogCaptureFixture, db: Database
) -> None:
    debug = settings.model_copy(update={"log_level": "DEBUG"})
    with caplog.at_level(logging.DEBUG), serve(debug, clock) as client:  # type: ignore[arg-type]
        visitor = Browser(client)
        visitor.register(ALICE)
        token = visitor.token
        visitor.client.get("/dashboard")
        visitor.logout()
        visitor.login(ALICE)
        visitor.login(ALICE, "a wrong password!")
        assert logging.getLogger("app.auth").isEnabledFor(logging.DEBUG)  # the app: DEBUG
        assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    text = "\n".join(record.getMessage() for record in caplog.records)
    [(password_hash,)] = db.rows("SELECT password_hash FROM users")
    secrets = [password_hash, "$argon2", PASSWORD, token or "absent"]
    secrets += [row[0] for row in db.rows("SELECT secret_hash FROM sessions")]
    for secret in secrets:
        assert secret not in text
    assert "SELECT" not in text  # no SQL, with or without its parameters


# --- Low: requests that gave a 500 and a traceback ----------------------------------------


def _multipart(client: TestClient[Litestar], part: bytes) -> httpx.Response:
    token = csrf_token(client.get("/login").text)
    boundary = "x-boundary"
    body = (
        f"--{boundary}\r\n".encode()
        + part
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n'
        f"{token}\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/login",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


@pytest.mark.parametrize(
    "part",
    [
        pytest.param(
            b'Content-Disposition: form-data; name="email"\r\n\r\n\xff\xfe\xfa', id="not UTF-8"
        ),
        pytest.param(
            b'Content-Disposition: form-data; name="email"\r\n'
            b"Content-Type: text/plain; charset=klingon\r\n\r\nalice",
            id="an unknown charset",
        ),
    ],
)
def test_a_multipart_field_that_is_not_text_is_a_400(
    client: TestClient[Litestar], part: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = _multipart(client, part)
    assert_plain_page(response, 400, "not UTF-8")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/static/%00", "/static/app.css%00.js", "/login%0a"])
def test_a_control_character_in_the_path_is_a_400(
    client: TestClient[Litestar], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.get(path)
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_client_that_hangs_up_mid_body_is_one_quiet_line(
    app: Litestar, client: TestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    token = csrf_token(client.get("/login").text)

    async def hang_up() -> None:
        sent = []

        async def receive() -> dict[str, object]:
            if not sent:
                sent.append(1)
                return {"type": "http.request", "body": b"email=alice", "more_body": True}
            return {"type": "http.disconnect"}

        async def send(_: object) -> None:
            return None

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": "/login",
            "raw_path": b"/login",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver.local"),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"x-csrftoken", token.encode()),
                (b"cookie", f"__Host-csrf={client.cookies.get('__Host-csrf')}".encode()),
            ],
            "client": ("127.0.0.1", 1234),
            "server": ("testserver.local", 443),
        }
        await app(scope, receive, send)  # type: ignore[arg-type]

    with caplog.at_level(logging.INFO):
        client.blocking_portal.call(hang_up)
    gone = [r for r in caplog.records if "client_disconnected" in r.getMessage()]
    assert len(gone) == 1
    assert gone[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# --- Low: hosts and origins ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/no/such/page", "/static/app.css"])
def test_a_host_this_deployment_does_not_serve_is_a_400(
    client: TestClient[Litestar], path: str
) -> None:
    response = client.get(path, headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert "does not answer to that host name" in response.text


@pytest.mark.parametrize("host", ["testserver.local", "TESTSERVER.LOCAL", "testserver.local:443"])
def test_the_deployments_own_host_is_served_with_or_without_a_port(
    client: TestClient[Litestar], host: str
) -> None:
    assert client.get("/login", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://testserver.local"}, id="origin: another scheme"),
        pytest.param({"Origin": "https://testserver.local:8443"}, id="origin: another port"),
        pytest.param({"Origin": "https://evil.example"}, id="origin: another host"),
        pytest.param({"Origin": "null"}, id="origin: null"),
        pytest.param(
            {"Origin": "null", "Sec-Fetch-Site": "cross-site"}, id="origin: null, sandboxed frame"
        ),
        pytest.param({"Sec-Fetch-Site": "CROSS-SITE"}, id="fetch-site in capitals"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="fetch-site: a sibling"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="fetch-site: cross-site"),
        pytest.param({"Referer": "https://evil.example/page"}, id="no origin, foreign referer"),
    ],
)
def test_a_state_change_from_another_origin_is_refused(
    visitor: Browser, headers: dict[str, str], db: Database
) -> None:
    response = visitor.login(ALICE, headers=headers)
    assert_plain_page(response, 403, "refused")
    assert db.count("auth_events") == 0  # nothing was attempted


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://testserver.local"}, id="our origin"),
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="fetch-site: same-origin"),
        pytest.param({"Referer": "https://testserver.local/login"}, id="our referer"),
        pytest.param(  # what Chromium sends from a page with Referrer-Policy: no-referrer
            {"Origin": "null", "Sec-Fetch-Site": "same-origin"}, id="our no-referrer page"
        ),
    ],
)
def test_a_state_change_from_our_own_origin_is_accepted(
    visitor: Browser, headers: dict[str, str]
) -> None:
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    assert visitor.login(ALICE, headers=headers).status_code == 303


# --- Low: cookie tossing, signing in again ------------------------------------------------


def test_two_auth_cookies_mean_not_signed_in_and_every_copy_is_deleted(
    settings: Settings, clock: object
) -> None:
    plain = settings.model_copy(update={"cookie_secure": False})
    with serve(plain, clock, base_url="http://testserver.local") as client:  # type: ignore[arg-type]
        visitor = Browser(client, "auth")
        assert visitor.register(ALICE).status_code == 303
        token = visitor.token
        response = client.get(
            "/sessions",
            headers={"cookie": f"auth=planted-by-a-sibling; auth={token}"},
            follow_redirects=False,
        )
    assert response.status_code == 303
    deletions = [h for h in set_cookie_headers(response) if h.startswith("auth=;")]
    assert {h.split("Path=")[1].split(";")[0] for h in deletions} == {"/", "/sessions"}


def test_signing_in_again_ends_the_session_this_browser_had(visitor: Browser, db: Database) -> None:
    assert visitor.register(ALICE).status_code == 303
    first = visitor.token
    assert visitor.login(ALICE).status_code == 303
    assert visitor.token != first
    assert db.count("sessions") == 1
    assert not visitor.signed_in_with(first)


# --- Info ---------------------------------------------------------------------------------


def test_there_is_no_public_schema(client: TestClient[Litestar]) -> None:
    for path in ("/schema", "/schema/openapi.json", "/schema/swagger"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/login", "/register", "/static/app.css"])
def test_head_answers_wherever_get_does(client: TestClient[Litestar], path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_pages_that_say_who_is_signed_in_are_never_cached(
    client: TestClient[Litestar], path: str
) -> None:
    response = client.get(path)
    assert response.headers["cache-control"] == "no-store"
    assert "Cookie" in response.headers["vary"]


@pytest.mark.parametrize(
    "look_alike",
    [
        pytest.param("\uff41\uff4c\uff49\uff43\uff45@example.com", id="full-width"),
        pytest.param("ALICE@example.com", id="capitals"),
    ],
)
def test_a_look_alike_address_is_the_same_account(visitor: Browser, look_alike: str) -> None:
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    assert visitor.register(look_alike).status_code == 409
    assert visitor.login(look_alike).status_code == 303


def test_a_local_part_mixing_alphabets_is_refused_in_plain_words(visitor: Browser) -> None:
    response = visitor.register("\u0430lice@example.com")  # a Cyrillic a
    assert response.status_code == 422
    assert "different alphabets" in response.text


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param({"content-type": "text/plain"}, '{"advance": 60}', id="text/plain"),
        pytest.param(
            {"content-type": "application/json", "Sec-Fetch-Site": "cross-site"},
            '{"advance": 60}',
            id="cross-site",
        ),
        pytest.param(
            {"content-type": "application/json", "Origin": "https://evil.example"},
            '{"advance": 60}',
            id="foreign origin",
        ),
    ],
)
def test_the_test_clock_cannot_be_moved_by_another_site(
    client: TestClient[Litestar], headers: dict[str, str], body: str
) -> None:
    before = client.get("/_test/clock").json()["now"]
    response = client.post("/_test/clock", content=body, headers=headers)
    assert response.status_code in {400, 403}
    assert client.get("/_test/clock").json()["now"] == before


@pytest.mark.parametrize(
    ("when", "status"),
    [
        ("9000-12-31T23:59:59Z", 200),
        ("9001-01-01T00:00:00Z", 400),
        ("9999-12-31T23:59:59Z", 400),
        ("1969-12-31T23:59:59Z", 400),
    ],
)
def test_the_test_clock_stays_within_the_years_1970_to_9000(
    visitor: Browser, when: str, status: int
) -> None:
    visitor.register(ALICE)
    response = visitor.client.post("/_test/clock", json={"set": when})
    assert response.status_code == status
    if status == 200:  # the dashboard can show such a time
        visitor.client.post("/_test/clock", json={"advance": 0})
        assert visitor.client.get("/dashboard", follow_redirects=False).status_code in {200, 303}


def test_insecure_cookies_are_refused_beyond_loopback(settings: Settings) -> None:
    from app.serve import insecure_exposure  # noqa: PLC0415

    plain = settings.model_copy(update={"cookie_secure": False})
    assert insecure_exposure(plain, "0.0.0.0") is not None  # noqa: S104
    assert insecure_exposure(plain, "192.168.1.5") is not None
    for loopback in ("127.0.0.1", "localhost", "::1", "[::1]"):
        assert insecure_exposure(plain, loopback) is None
    allowed = plain.model_copy(update={"allow_insecure_cookies": True})
    assert insecure_exposure(allowed, "0.0.0.0") is None  # noqa: S104
    assert insecure_exposure(settings, "0.0.0.0") is None  # noqa: S104
