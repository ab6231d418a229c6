"""The report's prose: what each variant is and how everything was measured."""

from __future__ import annotations

from typing import Any

__all__ = ["WHAT", "method_notes"]

WHAT = {
    "floor": '`/bench/floor` in the same app and process, `opt={"skip_auth": True}`: '
    "the guard steps aside (the reference)",
    "passthrough": "the same route behind one more `ASGIMiddleware` that only calls the next "
    "app: what any guard pays for being a middleware",
    "tier1": "`/dashboard`, a token inside its access window; the same token every request, "
    "so a token-cache hit",
    "guarded": "bench-only `/bench/guarded`: guarded like `/dashboard`, same token and page, "
    "with a handler of one dependency (`/dashboard` takes none)",
    "tier2": "`/dashboard`, the same token past its access window every request: re-encrypted "
    "and sent back in a `Set-Cookie` each time, no database",
    "tier3": "`/dashboard`, a different expired token every request: each one rotates its "
    "session in SQLite (one transaction)",
    "jwt": "bench-only app: Litestar `JWTCookieAuth` (PyJWT, HS256), user from a dict",
    "session": "bench-only app: Litestar `SessionAuth`, `ServerSideSessionConfig` + "
    "`MemoryStore`, user from a dict",
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def method_notes(results: dict[str, Any]) -> list[str]:
    p = results["plan"]
    return [
        "- **Servers.** Each app in its own `uvicorn` process: one worker, uvloop and "
        "httptools, `--no-access-log`, listening on 127.0.0.1 only. The app under test is "
        "`create_app()` as shipped (`bench/subject.py`) with its default settings, plus "
        "`APP_TEST_CLOCK=1` (tokens are minted by logging in, time moved with "
        "`POST /_test/clock`) and a client-address login limit too high to trip (the storm "
        "comes from one address; the throttle still runs on every login). Three bench-only "
        "routes are registered on it (the unguarded page, the pass-through page, a guarded "
        "page whose handler takes one dependency), so they and the tiers share one process; "
        "a second instance with `APP_HASH_CONCURRENCY=1` serves only the storm comparison. "
        "The peers (`bench/peers.py`) are small Litestar apps with the app's own non-auth "
        "stack (templates, CSRF, htmx plugin, security headers, origin check).",
        "- **The page.** Every variant renders `templates/dashboard.html` (extending "
        "`base.html`) through the app's `page()` helper with the same context shape: "
        "the same bytes but for the CSRF token and times. Every request carries the same "
        "cookies a browser would (the CSRF cookie and the auth cookie), the unguarded page "
        "included, so no response sets a CSRF cookie.",
        f"- **Throughput.** Debian's `wrk`, one thread, {p['connections']} connections, "
        f"{p['seconds']} s per run after a {p['warmup']} s warm-up per variant; every "
        f"variant once per round, {p['rounds']} rounds, the order reversed every other "
        "round. Ratios are taken within a round and the median over rounds is reported, "
        "with the lowest and highest round. p50/p99 are wrk's, under that closed-loop "
        "load (they include queueing behind the other connections).",
        "- **Tiers.** Tier 1: a token from a login, inside its access window. Tier 2: a "
        "token from a login one access window (+60 s) earlier; the same old token is sent "
        "every time, and the server re-mints it every time. Tier 3: each request needs a "
        "session of its own (it rotates it), so before each run `bench/sessions_db.py` "
        "writes fresh session rows (the columns a login writes) straight into the "
        "server's SQLite file and encrypts their tokens with the server's key set, issued "
        "one token lifetime ago; wrk's Lua script sends each token once.",
        "- **SQL statements** are counted in-process: the app through Litestar's "
        "`TestClient`, an SQLAlchemy `before_cursor_execute` listener for statements and "
        "a `commit` listener for transactions; each tier is checked on the page itself.",
        f"- **Login storm.** An open-loop probe (`bench/openloop.py`) sends tier-1 "
        f"requests at a fixed {p['probe_rate']:.0f} requests/s, each timed from the moment "
        "it was scheduled to leave (a stalled server cannot slow the probe down and hide), "
        f"{p['probe_seconds']:.0f} s at rest, then {p['probe_seconds']:.0f} s while "
        f"{p['storm_clients']} clients in another process sign in over and over; "
        f"{_count(p['probe_rounds'], 'round')}.",
        "- **Rotation latency.** For each table size a fresh SQLite file is filled with "
        "live session rows (random hashes; indexes dropped, `executemany`, indexes "
        "rebuilt) and served by its own server on the system clock; tier-3 requests are "
        "sent one at a time on one connection, each with a different session's token, "
        "beside tier-1 requests to the same server; the sizes alternate round by round.",
    ]
