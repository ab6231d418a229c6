"""The measurements on running servers, one worker each: throughput of every variant,
interleaved; then the fast path during a login storm and during a strength flood.

Throughput: the app under test (``bench.subject``, SQLite, the system clock) serves its
unguarded page, the pass-through page and the tiers; the bare reference and the peers
run beside it, each in its own process. Every server is pinned to one core and wrk to
the other. Tokens are minted offline (:mod:`bench.sessions_db`).

Storm and flood: two more instances of the app, not pinned (argon2 and zxcvbn run beside
the event loop, as deployed): one as shipped, one with ``APP_HASH_CONCURRENCY=1``.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from app.config import Settings
from app.security.cookies import AppCookies
from app.web.routes.pages import TIERS
from bench.client import AppClient, cookie_from, new_password
from bench.page import EMAIL
from bench.peers import JWE_COOKIE, LOGIN
from bench.plan import Plan
from bench.servers import APP_CPUS, Server, start_all
from bench.sessions_db import Minter, migrated, sqlite_url
from bench.stacks.launch import STACKS, Stack, prepare, queries
from bench.storm import LoadTarget, measure_under_load, storm_command, storm_summary
from bench.subject import FLOOR, GUARDED_ONE_DEPENDENCY, PASSTHROUGH
from bench.throughput import Variant, interleave, summarize

__all__ = ["SUBJECT_ENV", "expect_tier", "measure_served", "say"]

SUBJECT_ENV = {
    # The storm signs in thousands of times from one address: the throttle still counts
    # every attempt, and never trips.
    "APP_IP_MAX_ATTEMPTS": "1000000000",
}


_BEGUN = time.monotonic()


def say(text: str) -> None:
    """Progress, with the minutes and seconds since the run began."""
    elapsed = int(time.monotonic() - _BEGUN)
    print(f"[{elapsed // 60:2d}:{elapsed % 60:02d}] {text}", flush=True)


def expect_tier(url: str, cookie: str, tier: tuple[int, bool]) -> httpx.Response:
    response = httpx.get(url + "/dashboard", headers={"Cookie": cookie})
    if response.status_code != 200 or TIERS[tier] not in response.text:
        raise RuntimeError(f"{url}: a tier-{tier[0]} token was not served by tier {tier[0]}")
    return response


def _peer_cookie(server: Server, name: str) -> str:
    csrf_name = AppCookies.of(secure=Settings().cookie_secure).csrf.name
    response = httpx.get(server.url + LOGIN)
    csrf = cookie_from(response, csrf_name)
    token = cookie_from(response, name)
    if response.status_code != 200 or not csrf or not token:
        raise RuntimeError(f"{server.name}: {LOGIN} set no cookie")
    cookie = f"{csrf_name}={csrf}; {name}={token}"
    check = httpx.get(server.url + "/dashboard", headers={"Cookie": cookie})
    if check.status_code != 200 or "bench@example.com" not in check.text:
        raise RuntimeError(f"{server.name}: /dashboard answered {check.status_code}")
    return cookie


def _stack_cookie(stack: Stack, server: Server) -> str:
    """Signed in through the stack's own login form; its page shows the user."""
    cookie = stack.sign_in(server.url, EMAIL)
    check = httpx.get(server.url + "/dashboard", headers={"Cookie": cookie})
    if check.status_code != 200 or EMAIL not in check.text:
        raise RuntimeError(f"{server.name}: /dashboard answered {check.status_code}")
    return cookie


def _body_bytes(url: str, cookie: str) -> int:
    response = httpx.get(url, headers={"Cookie": cookie})
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code}")
    return len(response.content)


def _throughput(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    settings = Settings()
    subject_dir = work / "subject"
    url = migrated(sqlite_url(subject_dir))
    minter = Minter(url, subject_dir, settings)  # the key set first, then the server
    user_id = minter.add_user(EMAIL)
    servers = [
        subject := Server("subject", "bench.subject:create", subject_dir, SUBJECT_ENV),
        bare := Server("bare", "bench.bare:create", work / "bare"),
        jwe_peer := Server("jwe", "bench.peers:create_jwe", work / "jwe"),
        jwt_peer := Server("jwt", "bench.peers:create_jwt", work / "jwt"),
        session_peer := Server("session", "bench.peers:create_session", work / "session"),
    ]
    # The stacks people pick instead, each from the bench venv on its own SQLite file.
    stacks = [s for s in STACKS if s.key not in plan.skip]
    stack_servers = prepare(stacks, work, EMAIL, int(time.time()))
    results["stack_queries"] = {s.key: queries(s, work / s.key) for s in stacks}
    servers += stack_servers
    with contextlib.ExitStack() as stack:
        for server in servers:
            server.cpus = APP_CPUS
            stack.callback(server.stop)
        start_all(servers)
        stack.callback(minter.close)
        client = AppClient(subject.url, auth_cookie=_auth_cookie(settings))
        stack.callback(client.close)
        [tier1] = minter.tier1(user_id, EMAIL)
        [tier2] = minter.tier2(user_id, EMAIL)
        t1 = client.cookie(tier1)
        expect_tier(subject.url, t1, (1, False))
        expect_tier(subject.url, client.cookie(tier2), (2, False))
        results["cookie_bytes"] = len(f"{_auth_cookie(settings)}={tier1}")
        dashboard = subject.url + "/dashboard"
        variants = [
            Variant("bare", "bare Litestar page", bare.url + "/dashboard", t1),
            Variant("floor", "unguarded page (NO_AUTH)", subject.url + FLOOR, t1),
            Variant("passthrough", "pass-through ASGIMiddleware", subject.url + PASSTHROUGH, t1),
            Variant("tier1", "tier 1: token, cached", dashboard, t1),
            Variant(
                "guarded", "tier 1, one-dependency route", subject.url + GUARDED_ONE_DEPENDENCY, t1
            ),
            Variant("tier2", "tier 2: renew (re-mint)", dashboard, client.cookie(tier2)),
            Variant(
                "jwe",
                "minimal JWE guard (no cache)",
                jwe_peer.url + "/dashboard",
                _peer_cookie(jwe_peer, JWE_COOKIE),
            ),
            Variant(
                "jwt",
                "Litestar JWTCookieAuth",
                jwt_peer.url + "/dashboard",
                _peer_cookie(jwt_peer, "token"),
            ),
            Variant(
                "session",
                "Litestar SessionAuth (memory)",
                session_peer.url + "/dashboard",
                _peer_cookie(session_peer, "session"),
            ),
        ]
        variants += [
            Variant(s.key, s.label, server.url + "/dashboard", _stack_cookie(s, server))
            for s, server in zip(stacks, stack_servers, strict=True)
        ]
        variants = [v for v in variants if v.key not in plan.skip]
        results["page_bytes"] = {v.key: _body_bytes(v.url, v.cookie) for v in variants}
        say(
            f"throughput: {plan.rounds} rounds x {len(variants)} variants x {plan.seconds} s,"
            f" {plan.connections} connections"
        )
        interleave(
            variants,
            rounds=plan.rounds,
            seconds=plan.seconds,
            warmup=plan.warmup,
            connections=plan.connections,
            say=say,
        )
        results["throughput"] = [asdict(s) for s in summarize(variants, floor="floor")]
        results["runs"] = {v.key: [asdict(r) | {"rps": r.rps} for r in v.runs] for v in variants}
        results["rss_mib"] = {s.name: s.rss_kib() / 1024 for s in servers}


def _load_target(key: str, label: str, server: Server) -> LoadTarget:
    """A registered user (a real password, for the storm's logins) and a tier-1 cookie."""
    settings = Settings()
    client = AppClient(server.url, auth_cookie=_auth_cookie(settings))
    try:
        email, password = f"storm-{key}@example.com", new_password()
        client.register(email, password)
        token = client.login(email, password)
        cookie = client.cookie(token)
        expect_tier(server.url, cookie, (1, False))
        return LoadTarget(key, label, server, cookie, email, password)
    finally:
        client.close()


def _flood_command(clients: int) -> Any:
    def command(target: LoadTarget, seconds: float) -> list[str]:
        return [
            sys.executable, "-m", "bench.flood", target.server.url, target.email,
            "--clients", str(clients), "--seconds", str(seconds),
        ]  # fmt: skip

    return command


def _under_load(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    shipped = Server("shipped", "bench.subject:create", work / "shipped", SUBJECT_ENV)
    one = Server(
        "one-hasher", "bench.subject:create", work / "one-hasher",
        {**SUBJECT_ENV, "APP_HASH_CONCURRENCY": "1"},
    )  # fmt: skip
    servers = [shipped, one] if plan.one_hasher else [shipped]
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
        start_all(servers)
        targets = [_load_target("default", "as shipped (CPU count - 1 hashes at once)", shipped)]
        if plan.one_hasher:
            targets.append(_load_target("one", "APP_HASH_CONCURRENCY=1", one))
        clients = plan.storm_clients
        say(f"fast path under a {clients}-client login storm")
        storms = measure_under_load(
            targets,
            lambda target, seconds: storm_command(target, seconds, clients),
            rate=plan.probe_rate,
            seconds=plan.probe_seconds,
            rounds=plan.probe_rounds,
            say=say,
        )
        results["storm"] = [storm_summary(s, clients) for s in storms]
        say(f"fast path under a {plan.flood_clients}-client strength flood")
        results["flood"] = measure_under_load(
            targets[:1],
            _flood_command(plan.flood_clients),
            rate=plan.probe_rate,
            seconds=plan.probe_seconds,
            rounds=plan.probe_rounds,
            say=say,
        )
        for summary in results["flood"]:
            summary["clients"] = plan.flood_clients


def measure_served(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    _throughput(plan, work, results)
    _under_load(plan, work, results)


def _auth_cookie(settings: Settings) -> str:
    return AppCookies.of(secure=settings.cookie_secure).auth.name
