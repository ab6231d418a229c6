"""Issue 11 on real deployments: SQLite, PostgreSQL, PostgreSQL + Redis.

- **Throughput of tier 1** with 1 and 2 workers on each backend, the six deployments
  interleaved round by round (wrk pinned to one core; a 1-worker server pinned to the
  other, a 2-worker server free to use both, sharing one with wrk). Ratios are taken
  within a round against SQLite with the same number of workers.
- **Tier 3 under concurrent rotations** (8 connections, every request a different
  session due for rotation) on the 1-worker SQLite and PostgreSQL deployments.
- **Revocation propagation** on each 2-worker deployment (:mod:`bench.propagation`).

PostgreSQL and Redis are private servers on free ports (:mod:`bench.services`).
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import Settings
from app.security.cookies import AppCookies
from bench.client import AppClient
from bench.page import EMAIL
from bench.plan import Plan
from bench.propagation import measure_propagation
from bench.served import SUBJECT_ENV, expect_tier
from bench.servers import APP_CPUS, Server, start_all
from bench.services import Services, pg_binary
from bench.sessions_db import Minter, migrated, sqlite_url
from bench.throughput import Variant, interleave, ratios

__all__ = ["BACKENDS", "measure_backends"]

BACKENDS = ("sqlite", "postgres", "postgres+redis")


@dataclass
class Deployment:
    backend: str
    workers: int
    server: Server
    minter: Minter
    user_id: int = 0

    @property
    def key(self) -> str:
        return f"{self.backend}-{self.workers}w"


def _deploy(backend: str, workers: int, work: Path, services: Services) -> Deployment:
    data_dir = work / f"{backend.replace('+', '-')}-{workers}w"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**SUBJECT_ENV, "BENCH_WORKER_HEADER": "1"}
    if backend == "sqlite":
        url = migrated(sqlite_url(data_dir))
    else:
        url = services.new_database()
        env["APP_DATABASE_URL"] = url
        if backend == "postgres+redis":
            env["APP_REVOCATION_STORE"] = services.redis_url()
    minter = Minter(url, data_dir)  # writes the key set the server will read
    server = Server(
        f"{backend}-{workers}w",
        "bench.subject:create",
        data_dir,
        env,
        workers=workers,
        cpus=APP_CPUS if workers == 1 else None,
    )
    deployment = Deployment(backend, workers, server, minter)
    deployment.user_id = minter.add_user(EMAIL)
    return deployment


def _tier1_variants(deployments: list[Deployment], csrf: str) -> list[Variant]:
    variants = []
    for d in deployments:
        [token] = d.minter.tier1(d.user_id, EMAIL)
        cookie = f"{csrf}; {_auth_cookie()}={token}"
        expect_tier(d.server.url, cookie, (1, False))
        label = f"{d.backend}, {d.workers} worker{'s' if d.workers > 1 else ''}"
        variants.append(Variant(d.key, label, d.server.url + "/dashboard", cookie))
    return variants


def _throughput(
    deployments: list[Deployment], csrf: str, plan: Plan, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    variants = _tier1_variants(deployments, csrf)
    say(f"tier 1 on each backend: {plan.backend_rounds} rounds x {len(variants)} deployments")
    interleave(
        variants,
        rounds=plan.backend_rounds,
        seconds=plan.seconds,
        warmup=plan.warmup,
        connections=plan.connections,
        say=say,
    )
    by_key = {v.key: v for v in variants}
    rows = []
    for d, v in zip(deployments, variants, strict=True):
        within = ratios(v, by_key[f"sqlite-{d.workers}w"])
        one = by_key.get(f"{d.backend}-1w")
        rows.append(
            {
                "key": d.key,
                "label": v.label,
                "backend": d.backend,
                "workers": d.workers,
                "rps": statistics.median(r.rps for r in v.runs),
                "p50_ms": statistics.median(r.p50_ms for r in v.runs),
                "p99_ms": statistics.median(r.p99_ms for r in v.runs),
                "max_ms": max(r.max_ms for r in v.runs),
                "vs_sqlite": statistics.median(within),
                "vs_sqlite_low": min(within),
                "vs_sqlite_high": max(within),
                "vs_one_worker": statistics.median(ratios(v, one)) if one else None,
            }
        )
    return rows


def _auth_cookie() -> str:
    """The auth cookie's name, as the app's cookie set names it (Settings has no such field)."""
    return AppCookies.of(secure=Settings().cookie_secure).auth.name


def _tier3(
    deployments: list[Deployment], csrf: str, plan: Plan, work: Path, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    pools = work / "pools"
    pools.mkdir(exist_ok=True)
    variants = []
    for d in deployments:
        [probe] = d.minter.tier3(d.user_id, EMAIL)
        expect_tier(d.server.url, f"{csrf}; {_auth_cookie()}={probe}", (3, True))

        def pool(count: int, d: Deployment = d) -> Path:
            path = pools / f"{d.key}-{time.monotonic_ns()}.txt"
            path.write_text("\n".join(d.minter.tier3(d.user_id, EMAIL, count)) + "\n")
            return path

        variants.append(
            Variant(
                d.key,
                f"tier 3, {d.backend}",
                d.server.url + "/dashboard",
                csrf,
                pool=pool,
                token_cookie=_auth_cookie(),
            )
        )
    say(
        f"tier 3 under {plan.tier3_connections} concurrent rotations:"
        f" {plan.tier3_rounds} rounds x {len(variants)} backends"
    )
    interleave(
        variants,
        rounds=plan.tier3_rounds,
        seconds=plan.seconds,
        warmup=1,
        connections=plan.tier3_connections,
        say=say,
        expected=2000,
    )
    return [
        {
            "key": v.key,
            "backend": d.backend,
            "connections": plan.tier3_connections,
            "rps": statistics.median(r.rps for r in v.runs),
            "p50_ms": statistics.median(r.p50_ms for r in v.runs),
            "p99_ms": statistics.median(r.p99_ms for r in v.runs),
            "p99_worst_ms": max(r.p99_ms for r in v.runs),
            "max_ms": max(r.max_ms for r in v.runs),
            "rounds": len(v.runs),
            "rounds_p99_ms": [r.p99_ms for r in v.runs],
        }
        for d, v in zip(deployments, variants, strict=True)
    ]


def measure_backends(
    plan: Plan, work: Path, results: dict[str, Any], say: Callable[[str], None] = print
) -> None:
    work = work / "backends"
    services = Services()
    say("PostgreSQL and Redis: private servers; six deployments")
    with contextlib.ExitStack() as stack:
        stack.callback(services.stop)
        deployments = [_deploy(b, w, work, services) for w in (1, 2) for b in BACKENDS]
        for d in deployments:
            stack.callback(d.minter.close)
            stack.callback(d.server.stop)
        start_all([d.server for d in deployments])
        client = AppClient(deployments[0].server.url, auth_cookie=_auth_cookie())
        stack.callback(client.close)
        csrf = client.csrf_header
        results["backends"] = _throughput(deployments, csrf, plan, say)
        ones = {d.backend: d for d in deployments if d.workers == 1}
        results["tier3_concurrent"] = _tier3(
            [ones["sqlite"], ones["postgres"]], csrf, plan, work, say
        )
        say(f"revocation propagation: {plan.revocations} logouts per backend, 2 workers")
        propagation = []
        for d in deployments:
            if d.workers != 2:
                continue
            with contextlib.closing(AppClient(d.server.url, auth_cookie=_auth_cookie())) as own:
                propagation.append(measure_propagation(d, plan.revocations, own, say))
        results["propagation"] = propagation
        results["backend_servers"] = {
            "postgres": _postgres_version(),
            "redis": _redis_version(),
        }


def _postgres_version() -> str:
    out = subprocess.run(
        [pg_binary("postgres"), "--version"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip()


def _redis_version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().split(" sha=")[0]
