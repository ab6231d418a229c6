"""What a sign-in with a second step costs against a sign-in with the password alone.

In a fresh process of its own (``python -m bench.signins ROUNDS``), pinned to the app's
core, the app as shipped (default argon2 parameters, SQLite) is called directly as an
ASGI app, the way ``bench/inprocess.py`` calls it. Two accounts: one with the password
only, one with the authenticator app on (turned on through its pages). Round by round,
one of each, interleaved: ``POST /login`` for the first; ``POST /login`` then
``POST /login/two-factor`` with a code of the next time step for the second (the app's
test clock moves 30 s between rounds, as a person waits for the next code). Each sign-in
is timed from its first request to its last answer; it prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.servers import APP_CPUS, ROOT, pinned

__all__ = ["measure_signins"]

PASSWORD = "correct horse battery staple"  # noqa: S105 - a bench account's
_TOKEN = re.compile(rb'name="_csrf_token" value="([^"]+)"')
_SECRET = re.compile(rb'id="totp-secret"[^>]*>([^<]+)<')


def measure_signins(rounds: int, work: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env |= {"APP_DATA_DIR": str(work / "signins"), "APP_COOKIE_SECURE": "false"}
    output = subprocess.run(
        pinned([sys.executable, "-m", "bench.signins", str(rounds)], APP_CPUS),
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if output.returncode != 0:
        raise RuntimeError(f"sign-ins failed:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


class _Browser:
    """A cookie jar and the ASGI calls a browser's form posts make."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    async def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        body = urlencode(form or {}).encode()
        headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")]
        if self.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            headers.append((b"cookie", jar.encode("latin-1")))
        if form is not None:
            headers += [
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"origin", b"http://127.0.0.1:8000"),
            ]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        answer: dict[str, str] = {}
        for name, value in start.get("headers", []):
            if name.lower() == b"set-cookie":
                cookie = SimpleCookie(value.decode("latin-1"))
                for key, morsel in cookie.items():
                    if morsel.value:
                        self.cookies[key] = morsel.value
                    else:
                        self.cookies.pop(key, None)
            else:
                answer[name.decode().lower()] = value.decode("latin-1")
        content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], answer, content

    async def post_form(self, page: str, action: str, fields: dict[str, str]) -> tuple[int, str]:
        _, _, html = await self.request("GET", page)
        found = _TOKEN.search(html)
        if found is None:
            raise RuntimeError(f"no form on {page}")
        status, headers, _ = await self.request(
            "POST", action, {**fields, "_csrf_token": found[1].decode()}
        )
        return status, headers.get("location", "")


async def _run(rounds: int) -> dict[str, Any]:
    import pyotp  # noqa: PLC0415

    from app.clock import TestClock  # noqa: PLC0415
    from app.config import load_settings  # noqa: PLC0415
    from app.main import create_app  # noqa: PLC0415

    clock = TestClock(int(time.time()))
    app = create_app(load_settings(), clock=clock)
    async with app.lifespan():
        plain, second = _Browser(app), _Browser(app)
        for browser, email in ((plain, "plain@example.com"), (second, "second@example.com")):
            fields = {"email": email, "password": PASSWORD, "password_confirm": PASSWORD}
            status, _ = await browser.post_form("/register", "/register", fields)
            if status != 303:
                raise RuntimeError(f"register {email}: {status}")
        _, _, page = await second.request("GET", "/account/totp")
        found = _SECRET.search(page)
        if found is None:
            raise RuntimeError("no secret on /account/totp")
        secret = found[1].decode().replace(" ", "")
        code = pyotp.TOTP(secret).at(clock.now())
        status, where = await second.post_form("/account/totp", "/account/totp", {"code": code})
        if where != "/account/recovery-codes":
            raise RuntimeError(f"turning the app on: {status} {where}")

        password_ms, two_step_ms = [], []
        for _ in range(rounds):
            clock.advance(30)  # the next code
            for browser, email, timings in (
                (plain, "plain@example.com", password_ms),
                (second, "second@example.com", two_step_ms),
            ):
                browser.cookies.clear()
                _, _, login_page = await browser.request("GET", "/login")
                token = _TOKEN.search(login_page)
                assert token is not None
                fields = {"email": email, "password": PASSWORD, "_csrf_token": token[1].decode()}
                begun = time.perf_counter()
                status, headers, _ = await browser.request("POST", "/login", fields)
                if headers.get("location") == "/login/two-factor":
                    _, _, step = await browser.request("GET", "/login/two-factor")
                    token = _TOKEN.search(step)
                    assert token is not None
                    code = pyotp.TOTP(secret).at(clock.now())
                    status, headers, _ = await browser.request(
                        "POST", "/login/two-factor",
                        {"code": code, "_csrf_token": token[1].decode()},
                    )  # fmt: skip
                timings.append((time.perf_counter() - begun) * 1000)
                if status != 303 or headers.get("location") != "/dashboard":
                    raise RuntimeError(f"{email}: {status} {headers.get('location')}")
    password, two_step = statistics.median(password_ms), statistics.median(two_step_ms)
    return {
        "rounds": rounds,
        "password_ms": password,
        "two_step_ms": two_step,
        "ratio": two_step / password,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_run(int(sys.argv[1])))))
