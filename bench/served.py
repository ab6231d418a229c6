"""The measurements that need running servers: throughput of every variant, interleaved,
then the fast path during a login storm.

One app under test (``bench.subject``) serves the unguarded page, the pass-through page and
the tiers; the peers run beside it; a second instance with ``APP_HASH_CONCURRENCY=1``
joins for the storm comparison.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from contextlib import closing
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from app.config import Settings
from app.web.routes.pages import TIERS
from bench.client import AppClient, cookie_from, new_password
from bench.peers import LOGIN
from bench.plan import Plan
from bench.servers import Server
from bench.sessions_db import SessionMinter
from bench.storm import StormTarget, measure_storm
from bench.subject import FLOOR, GUARDED_ONE_DEPENDENCY, PASSTHROUGH
from bench.throughput import Variant, interleave, summarize

__all__ = ["measure_served", "say"]

_SUBJECT_ENV = {
    "APP_TEST_CLOCK": "1",  # tokens are minted by logging in, time moved by /_test/clock
    # One client address signs in thousands of times; the throttle still runs, never trips.
    "APP_IP_MAX_ATTEMPTS": "1000000000",
}


def say(text: str) -> None:
    print(text, flush=True)


def _user_id(data_dir: Path, email: str) -> int:
    with closing(sqlite3.connect(data_dir / "app.db")) as connection:
        row = connection.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    return int(row[0])


def _expect_tier(client: AppClient, token: str, tier: int) -> None:
    response = client.page("/dashboard", token)
    if response.status_code != 200 or TIERS[tier] not in response.text:
        raise RuntimeError(f"a tier-{tier} token was not served by tier {tier}")


def _peer_cookie(server: Server, name: str) -> str:
    csrf_name = Settings().csrf_cookie_name
    response = httpx.get(server.url + LOGIN)
    csrf = cookie_from(response, csrf_name)
    token = cookie_from(response, name)
    if response.status_code != 200 or not csrf or not token:
        raise RuntimeError(f"{server.name}: {LOGIN} set no cookie")
    cookie = f"{csrf_name}={csrf}; {name}={token}"
    check = httpx.get(server.url + "/dashboard", headers={"Cookie": cookie})
    if check.status_code != 200:
        raise RuntimeError(f"{server.name}: /dashboard answered {check.status_code}")
    return cookie


def _storm_target(key: str, label: str, server: Server) -> StormTarget:
    client = AppClient(server.url, auth_cookie=Settings().auth_cookie_name)
    try:
        email, password = "storm@example.com", new_password()
        client.register(email, password)
        tier1 = client.login(email, password)
        _expect_tier(client, tier1, 1)
        return StormTarget(key, label, server, client.cookie(tier1), email, password)
    finally:
        client.close()


def measure_served(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    settings = Settings()
    subject = Server("subject", "bench.subject:create", work / "subject", _SUBJECT_ENV)
    jwt_peer = Server("jwt", "bench.peers:create_jwt", work / "jwt")
    session_peer = Server("session", "bench.peers:create_session", work / "session")
    one_hasher = Server(
        "one-hasher",
        "bench.subject:create",
        work / "one-hasher",
        {**_SUBJECT_ENV, "APP_HASH_CONCURRENCY": "1"},
    )
    with contextlib.ExitStack() as stack:
        for server in (subject, jwt_peer, session_peer):
            stack.callback(server.stop)
            server.start()
        client = AppClient(subject.url, auth_cookie=settings.auth_cookie_name)
        stack.callback(client.close)
        email, password = "bench@example.com", new_password()
        client.register(email, password)
        tier2 = client.login(email, password)
        client.advance(settings.access_ttl + 60)  # tier2 is now past its access window
        tier1 = client.login(email, password)
        _expect_tier(client, tier1, 1)
        _expect_tier(client, tier2, 2)
        minter = SessionMinter(
            subject.data_dir, settings, user_id=_user_id(subject.data_dir, email), email=email
        )
        _expect_tier(client, minter.mint(1, client.now())[0], 3)
        results["cookie_bytes"] = len(f"{settings.auth_cookie_name}={tier1}")
        pools = work / "pools"
        pools.mkdir(exist_ok=True)

        def tier3_pool(count: int) -> Path:
            path = pools / f"tokens-{time.monotonic_ns()}.txt"
            path.write_text("\n".join(minter.mint(count, client.now())) + "\n")
            return path

        dashboard = subject.url + "/dashboard"
        t1 = client.cookie(tier1)
        variants = [
            Variant("floor", "unguarded page (skip_auth)", subject.url + FLOOR, t1),
            Variant("passthrough", "pass-through ASGIMiddleware", subject.url + PASSTHROUGH, t1),
            Variant("tier1", "tier 1: token, cached", dashboard, t1),
            Variant(
                "guarded", "tier 1, one-dependency route", subject.url + GUARDED_ONE_DEPENDENCY, t1
            ),
            Variant("tier2", "tier 2: renew (re-mint)", dashboard, client.cookie(tier2)),
            Variant(
                "tier3",
                "tier 3: rotate (SQLite)",
                dashboard,
                client.csrf_header,
                pool=tier3_pool,
                token_cookie=settings.auth_cookie_name,
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
        variants = [v for v in variants if v.key not in plan.skip]
        say(f"throughput: {plan.rounds} rounds x {len(variants)} variants x {plan.seconds} s")
        interleave(
            variants,
            rounds=plan.rounds,
            seconds=plan.seconds,
            warmup=plan.warmup,
            connections=plan.connections,
            say=say,
        )
        results["throughput"] = [asdict(s) for s in summarize(variants)]
        results["runs"] = {v.key: [asdict(r) | {"rps": r.rps} for r in v.runs] for v in variants}
        jwt_peer.stop()
        session_peer.stop()

        stack.callback(one_hasher.stop)
        one_hasher.start()
        targets = [
            StormTarget(
                "default", "as shipped (CPU count - 1 hashes at once)", subject, t1, email, password
            ),
            _storm_target("one", "APP_HASH_CONCURRENCY=1", one_hasher),
        ]
        say(f"fast path under a {plan.storm_clients}-client login storm")
        results["storm"] = measure_storm(
            targets,
            rate=plan.probe_rate,
            seconds=plan.probe_seconds,
            rounds=plan.probe_rounds,
            clients=plan.storm_clients,
            say=say,
        )
