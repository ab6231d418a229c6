"""Each page in-process: the ASGI app called directly, no sockets, one core.

Every variant runs in a fresh process of its own (``python -m bench.inprocess KIND``:
the garbage collector's state, and ``gc.freeze``, are per process), built and started
as a server would (its lifespan entered: migrations, the denylist mirror, zxcvbn's
warm-up, and ``gc.freeze`` when ``APP_GC_FREEZE`` is on). Then ``requests`` GETs of
``/dashboard`` with a browser's cookies, one after the other, each timed from the call
to its return (the whole response sent), with a ``sleep(0)`` between them so the
app's background tasks get the loop as they would in a server. It prints one JSON line.

What this shows that wrk cannot: the cost of a request without the server and the
kernel around it, and its tail (a full garbage collection lands on some request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.openloop import percentile
from bench.servers import APP_CPUS, ROOT, pinned

__all__ = ["KINDS", "measure_inprocess"]

# kind: (label, factory, environment)
KINDS: dict[str, tuple[str, str, dict[str, str]]] = {
    "bare": ("bare Litestar page", "bench.bare:create", {}),
    "floor": ("unguarded page (NO_AUTH)", "bench.subject:create", {}),
    "tier1": ("tier 1: token, cached", "bench.subject:create", {}),
    "tier1-nofreeze": (
        "tier 1, APP_GC_FREEZE=false",
        "bench.subject:create",
        {"APP_GC_FREEZE": "false"},
    ),
    "tier2": ("tier 2: renew (re-mint)", "bench.subject:create", {}),
    "jwe": ("minimal JWE guard (no cache)", "bench.peers:create_jwe", {}),
    "jwt": ("Litestar JWTCookieAuth", "bench.peers:create_jwt", {}),
    "session": ("Litestar SessionAuth (memory)", "bench.peers:create_session", {}),
}
_PEER_COOKIES = {"jwe": "jwe", "jwt": "token", "session": "session"}


def measure_inprocess(
    kinds: tuple[str, ...], requests: int, work: Path, say: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    rows = []
    for kind in kinds:
        command = [sys.executable, "-m", "bench.inprocess", kind, "--requests", str(requests)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        env |= {"APP_DATA_DIR": str(work / f"inprocess-{kind}"), **KINDS[kind][2]}
        output = subprocess.run(
            pinned(command, APP_CPUS), cwd=ROOT, env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if output.returncode != 0:
            raise RuntimeError(f"in-process {kind} failed:\n{output.stderr[-3000:]}")
        row = json.loads(output.stdout.strip().splitlines()[-1])
        rows.append({"key": kind, "label": KINDS[kind][0], **row})
        say(
            f"  {kind:<15} p50 {row['p50_us']:7.1f} µs, p99 {row['p99_us']:7.1f} µs,"
            f" max {row['max_us'] / 1000:6.1f} ms"
        )
    return rows


def _scope(cookie: str, path: str = "/dashboard") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"bench"),
            (b"cookie", cookie.encode("latin-1")),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


class _Response:
    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _call(app: Any, cookie: str, path: str = "/dashboard") -> _Response:
    response = _Response()
    await app(_scope(cookie, path), _receive, response.send)
    return response


def _set_cookies(response: _Response) -> dict[str, str]:
    cookies = {}
    for name, value in response.headers:
        if name.lower() == b"set-cookie":
            pair = value.decode("latin-1").split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies[key] = val
    return cookies


def _subject_cookie(kind: str, data_dir: Path) -> tuple[str, str]:
    """The tier's token (minted offline) and the path to request."""
    from app.config import load_settings  # noqa: PLC0415
    from app.security.cookies import AppCookies  # noqa: PLC0415
    from bench.page import EMAIL  # noqa: PLC0415
    from bench.sessions_db import Minter, migrated, sqlite_url  # noqa: PLC0415

    settings = load_settings()
    minter = Minter(migrated(sqlite_url(data_dir)), data_dir, settings)
    user = minter.add_user(EMAIL)
    [token] = minter.tier2(user, EMAIL) if kind == "tier2" else minter.tier1(user, EMAIL)
    minter.close()
    path = "/bench/floor" if kind == "floor" else "/dashboard"
    return f"{AppCookies.of(secure=settings.cookie_secure).auth.name}={token}", path


async def _run(kind: str, requests: int, auth: str, path: str) -> dict[str, Any]:
    import importlib  # noqa: PLC0415

    factory = KINDS[kind][1]
    module, _, name = factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    async with app.lifespan():
        if kind in _PEER_COOKIES:
            login = _set_cookies(await _call(app, "", "/bench/login"))
            auth = f"{_PEER_COOKIES[kind]}={login[_PEER_COOKIES[kind]]}"
        first = await _call(app, auth, "/login" if factory == "bench.subject:create" else path)
        csrf = next((f"{k}={v}" for k, v in _set_cookies(first).items() if "csrf" in k), "")
        if kind in _PEER_COOKIES:  # the peers hand out their CSRF cookie with the login
            csrf = next((f"{k}={v}" for k, v in login.items() if "csrf" in k), csrf)
        cookie = "; ".join(part for part in (csrf, auth) if part)
        check = await _call(app, cookie, path)
        if check.status != 200 or b"bench@example.com" not in check.body:
            raise RuntimeError(f"{kind}: {path} answered {check.status}")
        for _ in range(min(2000, requests)):  # warm-up
            await _call(app, cookie, path)
        await asyncio.sleep(0)
        timings = []
        statuses = set()
        for _ in range(requests):
            scope = _scope(cookie, path)
            response = _Response()
            begun = time.perf_counter()
            await app(scope, _receive, response.send)
            timings.append((time.perf_counter() - begun) * 1e6)
            statuses.add(response.status)
            await asyncio.sleep(0)
    if statuses != {200}:
        raise RuntimeError(f"{kind}: statuses {statuses}")
    return {
        "requests": requests,
        "bytes": len(check.body),
        "mean_us": statistics.fmean(timings),
        "p50_us": percentile(timings, 0.5),
        "p99_us": percentile(timings, 0.99),
        "p999_us": percentile(timings, 0.999),
        "max_us": max(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    data_dir = Path(os.environ["APP_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    auth, path = ("", "/dashboard")
    if KINDS[args.kind][1] == "bench.subject:create":
        auth, path = _subject_cookie(args.kind, data_dir)
    result = asyncio.run(_run(args.kind, args.requests, auth, path))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
