"""Issue 11 on real deployments: SQLite, PostgreSQL, PostgreSQL + Redis.

- **Throughput of tier 1** with 1 and 2 workers on each backend, the six deployments
  interleaved round by round (wrk pinned to one core; a 1-worker server pinned to the
  other, a 2-worker server free to use both, sharing one with wrk). Ratios are taken
  within a round against SQLite with the same number of workers.
- **Tier 3 under concurrent rotations** (8 connections, every request a different
  session due for rotation) on the 1-worker SQLite and PostgreSQL deployments.
- **Revocation propagation** on each 2-worker deployment: a session is signed out with
  ``POST /logout``; from the moment its response arrives, each worker is asked with the
  session's token, over and over, until it refuses (``303``). Before each logout new
  connections are opened until one of each worker is held (``X-Bench-Worker``, a
  bench-only header naming the process; the app's ``X-Test-Process`` needs the test
  clock, whose per-request query would change what is measured), and every worker must
  have served the token. The figure is the time until the last worker refused.

PostgreSQL and Redis are private servers on free ports (``tests/support``).
"""

from __future__ import annotations

import contextlib
import random
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.config import Settings
from bench.client import AppClient
from bench.openloop import percentile
from bench.page import EMAIL
from bench.plan import Plan
from bench.rawhttp import Connection
from bench.served import SUBJECT_ENV, expect_tier
from bench.servers import APP_CPUS, HOST, Server, start_all
from bench.sessions_db import Minter, migrated, sqlite_url
from bench.subject import WORKER_HEADER
from bench.throughput import Variant, interleave, ratios

__all__ = ["BACKENDS", "measure_backends"]

BACKENDS = ("sqlite", "postgres", "postgres+redis")
_HEADER = WORKER_HEADER.encode()


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


def _deploy(backend: str, workers: int, work: Path, servers: Any) -> Deployment:
    data_dir = work / f"{backend.replace('+', '-')}-{workers}w"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**SUBJECT_ENV, "BENCH_WORKER_HEADER": "1"}
    if backend == "sqlite":
        url = migrated(sqlite_url(data_dir))
    else:
        url = servers.new_database()
        env["APP_DATABASE_URL"] = url
        if backend == "postgres+redis":
            env["APP_REVOCATION_STORE"] = servers.redis_url()
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
        cookie = f"{csrf}; {Settings().auth_cookie_name}={token}"
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


def _tier3(
    deployments: list[Deployment], csrf: str, plan: Plan, work: Path, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    pools = work / "pools"
    pools.mkdir(exist_ok=True)
    variants = []
    for d in deployments:
        [probe] = d.minter.tier3(d.user_id, EMAIL)
        expect_tier(d.server.url, f"{csrf}; {Settings().auth_cookie_name}={probe}", (3, True))

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
                token_cookie=Settings().auth_cookie_name,
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


def _held_per_worker(server: Server, request: bytes, workers: int) -> dict[bytes, Connection]:
    """New connections until one to each worker is held; each must serve the token."""
    held: dict[bytes, Connection] = {}
    for _ in range(400):
        connection = Connection(HOST, server.port)
        status, headers = connection.exchange(request)
        if status != 200:
            connection.close()
            raise RuntimeError(f"{server.name}: the token was not served ({status})")
        worker = headers[_HEADER]
        if worker in held:
            connection.close()
        else:
            held[worker] = connection
        if len(held) == workers:
            return held
    for connection in held.values():
        connection.close()
    raise RuntimeError(f"{server.name}: 400 new connections reached only {len(held)} workers")


def _propagation(
    d: Deployment, count: int, client: AppClient, say: Callable[[str], None]
) -> dict[str, Any]:
    server = d.server
    poll = Settings().revocation_poll
    all_ms: list[float] = []
    other_ms: list[float] = []
    own_ms: list[float] = []
    tokens = d.minter.tier1(d.user_id, EMAIL, count)
    for token in tokens:
        cookie = client.cookie(token)
        request = Connection.request_for(HOST, server.port, "/dashboard", cookie)
        held = _held_per_worker(server, request, d.workers)
        # A logout right after the previous one was caught up would always meet the
        # catch-up poll at the same phase: start each at a random moment of its period.
        time.sleep(random.uniform(0, poll))
        try:
            response = client.post("/logout", {}, token)
            done = time.perf_counter()
            if response.status_code != 303:
                raise RuntimeError(f"{server.name}: logout answered {response.status_code}")
            ended_by = response.headers[WORKER_HEADER].encode()
            pending = dict(held)
            refused: dict[bytes, float] = {}
            while pending:
                if time.perf_counter() - done > 10:
                    raise RuntimeError(f"{server.name}: not refused everywhere within 10 s")
                for worker, connection in list(pending.items()):
                    status, _ = connection.exchange(request)
                    if status == 303:
                        refused[worker] = (time.perf_counter() - done) * 1000
                        del pending[worker]
                    elif status != 200:
                        raise RuntimeError(f"{server.name}: {status} for a signed-out token")
        finally:
            for connection in held.values():
                connection.close()
        all_ms.append(max(refused.values()))
        if ended_by in refused:
            own_ms.append(refused[ended_by])
        other_ms += [ms for worker, ms in refused.items() if worker != ended_by]
    say(
        f"  {d.key}: {count} revocations, every worker refused after p50"
        f" {percentile(all_ms, 0.5):.1f} ms, p99 {percentile(all_ms, 0.99):.1f} ms"
    )
    return {
        "key": d.key,
        "backend": d.backend,
        "workers": d.workers,
        "revocations": count,
        "p50_ms": percentile(all_ms, 0.5),
        "p99_ms": percentile(all_ms, 0.99),
        "max_ms": max(all_ms),
        "own_p50_ms": percentile(own_ms, 0.5),
        "other_p50_ms": percentile(other_ms, 0.5),
        "other_p99_ms": percentile(other_ms, 0.99),
    }


def measure_backends(
    plan: Plan, work: Path, results: dict[str, Any], say: Callable[[str], None] = print
) -> None:
    from tests.support.backends import Servers  # noqa: PLC0415 - needs psycopg, the repo root

    work = work / "backends"
    servers = Servers()
    say("PostgreSQL and Redis: private servers; six deployments")
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop)
        deployments = [_deploy(b, w, work, servers) for w in (1, 2) for b in BACKENDS]
        for d in deployments:
            stack.callback(d.minter.close)
            stack.callback(d.server.stop)
        start_all([d.server for d in deployments])
        client = AppClient(deployments[0].server.url, auth_cookie=Settings().auth_cookie_name)
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
            with contextlib.closing(
                AppClient(d.server.url, auth_cookie=Settings().auth_cookie_name)
            ) as own:
                propagation.append(_propagation(d, plan.revocations, own, say))
        results["propagation"] = propagation
        results["backend_servers"] = {
            "postgres": _postgres_version(),
            "redis": _redis_version(),
        }


def _postgres_version() -> str:
    from tests.support.servers import _pg_binary  # noqa: PLC0415

    out = subprocess.run(
        [_pg_binary("postgres"), "--version"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip()


def _redis_version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().split(" sha=")[0]
