"""The report's prose: what each variant is and how everything was measured."""

from __future__ import annotations

from typing import Any

from bench.report.format import count

__all__ = ["WHAT", "method_notes"]

WHAT = {
    "bare": "bench-only app (`bench/bare.py`): Litestar with no middleware, no plugins, no "
    "hooks, rendering the same template with the same context (the reference)",
    "floor": '`/bench/floor` in the app\'s own process, `opt={"skip_auth": True}`: the '
    "whole stack but the guard (the guard-only reference)",
    "passthrough": "the same route behind one more `ASGIMiddleware` that only calls the next "
    "app: what any guard pays for being a middleware",
    "tier1": "`/dashboard`, a token inside its access window; the same token every request, "
    "so a token-cache hit",
    "guarded": "bench-only `/bench/guarded`: guarded like `/dashboard`, same token and page, "
    "with a handler of one dependency (`/dashboard` takes none)",
    "tier2": "`/dashboard`, the same token past its access window every request: re-encrypted "
    "and sent back in a `Set-Cookie` each time, no database",
    "jwe": "bench-only app: a hand-written guard middleware, joserfc JWE decrypt of the "
    "cookie on every request (the app's token format), no cache, user from a dict",
    "jwt": "bench-only app: Litestar `JWTCookieAuth` (PyJWT, HS256), user from a dict",
    "session": "bench-only app: Litestar `SessionAuth`, `ServerSideSessionConfig` + "
    "`MemoryStore`, user from a dict",
}


def method_notes(results: dict[str, Any]) -> list[str]:
    p = results["plan"]
    return [
        "- **Servers.** Each app in its own `uvicorn` process, with the flags "
        "`python -m app serve` uses (no `Server` header, `--limit-concurrency 1000`, 5 s "
        "keep-alive, h11: it refuses a header block past 16 KiB), uvloop, "
        "`--no-access-log`, on 127.0.0.1; one worker "
        "unless a section says otherwise (`--workers 2`). The app under test is "
        "`create_app()` as shipped (`bench/subject.py`) with its default settings "
        "(`APP_GC_FREEZE` on, templates not auto-reloaded) on the **system clock** (with "
        "`APP_TEST_CLOCK` every request would read the deployment's clock from the "
        "database), plus a client-address limit too high to trip (the login storm comes "
        "from one address; the throttle still counts every attempt). Bench-only routes on "
        "it (the unguarded page, the pass-through page, a one-dependency guarded page) "
        "share its process with the tiers.",
        "- **The references and the peers.** The bare page (`bench/bare.py`) is what a "
        "user compares with: Litestar and Jinja alone, `dashboard.html` with the same "
        "context as the real page; its `url_for` targets are stub routes with the app's "
        "names, its `csrf_token()` a constant of a real token's length (the page sizes are "
        "compared in the targets). The peers (`bench/peers.py`) carry the app's non-auth "
        "stack (templates, CSRF, htmx plugin, security headers, origin check) with their own "
        "auth in front, so against them only the auth differs.",
        "- **Cores.** On this 2-core machine every throughput server is pinned to one core "
        "(`taskset -c 0`) and wrk to the other (`taskset -c 1`); 2-worker deployments are "
        "not pinned (they share the cores with wrk: see the backends section). The load "
        "sections (storm, flood) pin nothing: hashing and zxcvbn run where the app puts them.",
        "- **Tokens** are minted offline (`bench/sessions_db.py`): the user and session rows "
        "a login writes are inserted into the deployment's database (SQLite or PostgreSQL) "
        "and the claims encrypted with the deployment's own key set, issued 0 s ago (tier 1), "
        "one access window and a minute ago (tier 2: the same old token every request, "
        "re-minted every time), or one token lifetime and a minute ago (tier 3: a different "
        "session for every request, wrk's Lua script sends each token once). Each tier is "
        'checked on the page itself ("How it was served") before it is measured. Every '
        "request carries a browser's cookies (the CSRF cookie and the auth cookie), the bare "
        "page's included, so no response sets a CSRF cookie.",
        f"- **Throughput.** Debian's `wrk`, one thread, {p['connections']} connections, "
        f"{p['seconds']} s per run after a {p['warmup']} s warm-up per variant; every "
        f"variant once per round, {p['rounds']} rounds, the order reversed every other "
        "round. Ratios are taken within a round and the median over rounds is reported, "
        "with the lowest and highest round. p50/p99/max are wrk's, under that closed-loop "
        'load (they include queueing behind the other connections), so "the same load" '
        "for two variants is the same number of connections; max is the highest of the "
        "rounds.",
        "- **In-process.** The same pages with no server around them (`bench/inprocess.py`): "
        "each variant's ASGI app called directly in a process of its own, each request "
        "timed on its own, so the tail (a garbage collection, a stall) shows per request.",
        "- **SQL statements** are counted in-process: the app through Litestar's "
        "`TestClient` on a clock of its own, an SQLAlchemy `before_cursor_execute` listener "
        "for statements and a `commit` listener for transactions.",
        f"- **Login storm and strength flood.** An open-loop probe (`bench/openloop.py`) "
        f"sends tier-1 requests at a fixed {p['probe_rate']:.0f} requests/s, each timed from "
        "the moment it was scheduled to leave (a stalled server cannot slow the probe down "
        f"and hide), {p['probe_seconds']:.0f} s at rest, then {p['probe_seconds']:.0f} s "
        f"while the load runs in another process: {p['storm_clients']} clients signing in "
        f"over and over, or {p['flood_clients']} clients sending crafted passwords to the "
        f"strength hint and the registration form; {count(p['probe_rounds'], 'round')}.",
        f"- **Backends.** Six deployments (SQLite, PostgreSQL, PostgreSQL + Redis; 1 and 2 "
        f"workers), tier 1 interleaved over {p['backend_rounds']} rounds; tier 3 with "
        f"{p['tier3_connections']} connections on the 1-worker SQLite and PostgreSQL "
        f"deployments, {p['tier3_rounds']} rounds; {p['revocations']} logouts per 2-worker "
        "deployment for the propagation figure. Every backend deployment adds a bench-only "
        "`X-Bench-Worker` header (the answering process's pid) to tell workers apart.",
        "- **Rotation latency.** For each table size a fresh SQLite file is filled with "
        "live session rows (random hashes; indexes dropped, `executemany`, indexes "
        "rebuilt) and served by its own server on the system clock; tier-3 requests are "
        "sent one at a time on one connection, each with a different session's token, "
        "beside tier-1 requests to the same server; the sizes alternate round by round.",
    ]
