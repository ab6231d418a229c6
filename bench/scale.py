"""Cost as the work grows: live revocations per worker, and session rows under rotation.

- **Live revocations** (10^3, 10^5, 10^6; quick: 10^3, 10^4) on SQLite and PostgreSQL:
  rows in ``revocations`` whose ``until`` is still ahead (spread over one token
  lifetime), bulk-loaded before the worker starts (SQLite: ``executemany``; PostgreSQL:
  ``generate_series``), ids in the app's format (``token_urlsafe(16)``). One worker of
  the app per size, started alone and pinned like the others: the time from launch to
  its first ``/healthz`` answer (uvicorn answers only once the lifespan has run, and the
  lifespan loads the mirror with a full catch-up before it: the mirror is current then),
  its ``VmRSS`` then, and tier-1 throughput with ``wrk``. The sizes of one backend are
  interleaved round by round; while one is measured the others are stopped (``SIGSTOP``),
  so an idle worker's background work (the 250 ms catch-up and prune) costs the
  measured one nothing and only its own counts.
- **Rotation at 10^7 session rows on PostgreSQL** (quick: 10^5) against 10^3, as
  :mod:`bench.rotation` measures it on SQLite (tier-3 requests one at a time, a different
  session each, the sizes interleaved); the rows are written by one ``INSERT ... SELECT
  FROM generate_series`` with the table's own indexes dropped and rebuilt after.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from app.config import Settings
from app.security.cookies import AppCookies
from bench.openloop import percentile
from bench.page import EMAIL
from bench.plan import Plan
from bench.rotation import _batch
from bench.served import SUBJECT_ENV, expect_tier
from bench.servers import APP_CPUS, Server
from bench.services import Services
from bench.sessions_db import Minter, migrated, sqlite_url
from bench.wrk import WrkResult, run_wrk

__all__ = ["measure_scale"]

SCALE_BACKENDS = ("sqlite", "postgres")


@dataclass
class Worker:
    backend: str
    revocations: int
    server: Server
    cookie: str = ""
    fill_seconds: float = 0.0
    startup_seconds: float = 0.0
    rss_kib: int = 0
    runs: list[WrkResult] = field(default_factory=list)


def _cookie_name(settings: Settings) -> str:
    return AppCookies.of(secure=settings.cookie_secure).auth.name


def _ids(count: int) -> Iterator[str]:
    for _ in range(count):
        yield secrets.token_urlsafe(16)


def _fill_sqlite(db: Path, count: int, now: int, ttl: int) -> float:
    begun = time.perf_counter()
    span = ttl - 120  # every until ahead by two minutes at least, spread over one lifetime
    with contextlib.closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                "INSERT INTO revocations (session_public_id, revoked_at, until) VALUES (?, ?, ?)",
                (
                    (sid, now + 120 + (i * span) // count - ttl, now + 120 + (i * span) // count)
                    for i, sid in enumerate(_ids(count))
                ),
            )
    return time.perf_counter() - begun


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# A token_urlsafe(16): 16 random bytes in unpadded base64url, 22 characters.
_PG_ID = "rtrim(translate(encode(decode(md5(random()::text || g::text), 'hex'), 'base64'),"
_PG_ID += " '+/', '-_'), '=')"


def _fill_postgres(url: str, count: int, now: int, ttl: int) -> float:
    begun = time.perf_counter()
    span = ttl - 120
    with psycopg.connect(_psycopg(url), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO revocations (session_public_id, revoked_at, until)"  # type: ignore[arg-type]  # noqa: S608 (numbers)
            f" SELECT {_PG_ID}, u - {ttl}, u FROM (SELECT g,"
            f" {now + 120} + (g::bigint * {span}) / {count} AS u"
            f" FROM generate_series(0, {count - 1}) AS g) AS s"
        )
        connection.execute("VACUUM ANALYZE revocations")
    return time.perf_counter() - begun


def _fill_sessions_postgres(url: str, rows: int, *, user_id: int, now: int) -> float:
    """``rows`` filler sessions (live, random hashes), the table's plain indexes dropped
    for the insert and rebuilt after. Returns the seconds it took."""
    day = 86400
    begun = time.perf_counter()
    with psycopg.connect(_psycopg(url), autocommit=True) as connection:
        columns = {
            r[0]
            for r in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'sessions'"
            )
        }
        indexes = connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'sessions'"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        values = {
            "public_id": _PG_ID,
            "user_id": str(user_id),
            "secret_hash": "md5(random()::text) || md5(random()::text)",
            "created_at": str(now - day),
            "rotated_at": str(now - day),
            "expires_at": str(now + 13 * day),
            "absolute_expires_at": str(now + 29 * day),
            "user_agent": "'filler'",
            "client_addr": "'127.0.0.0/24'",
            "auth_time": str(now - day),
            "amr": "'pwd'",
        }
        names = [n for n in values if n in columns]
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')  # type: ignore[arg-type]
        connection.execute(
            f"INSERT INTO sessions ({', '.join(names)})"  # type: ignore[arg-type]  # noqa: S608 (fixed)
            f" SELECT {', '.join(values[n] for n in names)} FROM generate_series(1, {rows}) AS g"
        )
        for _, definition in indexes:
            connection.execute(definition)
        connection.execute("VACUUM ANALYZE sessions")
    return time.perf_counter() - begun


def _ready(server: Server, timeout: float = 300) -> float:
    """Launch and wait for the first ``/healthz`` answer; the seconds in between."""
    begun = time.monotonic()
    server.launch()
    deadline = begun + timeout
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.data_dir / 'server.log'}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - begun
        time.sleep(0.02)
    raise RuntimeError(f"{server.name} did not answer /healthz within {timeout:.0f} s")


def _deploy(
    backend: str, count: int, work: Path, *, services: Services, settings: Settings, now: int
) -> tuple[Worker, Minter]:
    data_dir = work / f"{backend}-{count}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(SUBJECT_ENV)
    if backend == "sqlite":
        url = migrated(sqlite_url(data_dir))
        seconds = _fill_sqlite(data_dir / "app.db", count, now, settings.token_ttl)
    else:
        url = services.new_database()
        env["APP_DATABASE_URL"] = url
        seconds = _fill_postgres(url, count, now, settings.token_ttl)
    minter = Minter(url, data_dir, settings)
    server = Server(f"{backend}-{count}", "bench.subject:create", data_dir, env, cpus=APP_CPUS)
    return Worker(backend, count, server, fill_seconds=seconds), minter


def _current(worker: Worker, timeout: float = 10) -> None:
    """Resumed, a worker's mirror is stale (its catch-up stopped too) until its next
    round: wait for the page to be served by tier 1 again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect_tier(worker.server.url, worker.cookie, (1, False))
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return


def _throughput(workers: list[Worker], plan: Plan, say: Callable[[str], None]) -> None:
    """Round by round, forward then back; every other worker stopped meanwhile."""

    def run(worker: Worker, seconds: int) -> WrkResult:
        assert worker.server.process is not None
        os.kill(worker.server.pid, signal.SIGCONT)
        try:
            _current(worker)
            result = run_wrk(
                worker.server.url + "/dashboard",
                seconds=seconds,
                connections=plan.connections,
                cookie=worker.cookie,
            )
        finally:
            os.kill(worker.server.pid, signal.SIGSTOP)
        if not result.clean:
            raise RuntimeError(f"{worker.server.name}: unclean run {result}")
        return result

    for worker in workers:
        os.kill(worker.server.pid, signal.SIGSTOP)
    try:
        for worker in workers:
            run(worker, plan.warmup)
        for number in range(plan.scale_rounds):
            order = workers if number % 2 == 0 else workers[::-1]
            for worker in order:
                worker.runs.append(run(worker, plan.seconds))
            say(
                f"  round {number + 1}/{plan.scale_rounds}: "
                + ", ".join(f"{w.server.name} {w.runs[-1].rps:.0f}" for w in order)
            )
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.server.pid, signal.SIGCONT)


def _revocations(
    backend: str,
    plan: Plan,
    *,
    work: Path,
    services: Services,
    settings: Settings,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    now = int(time.time())
    workers: list[Worker] = []
    with contextlib.ExitStack() as stack:
        for count in plan.scale_revocations:
            worker, minter = _deploy(
                backend, count, work, services=services, settings=settings, now=now
            )
            stack.callback(minter.close)
            user_id = minter.add_user(EMAIL)
            [token] = minter.tier1(user_id, EMAIL)
            worker.cookie = f"{_cookie_name(settings)}={token}"
            say(f"  {backend}: {count:>9,} live revocations written in {worker.fill_seconds:.1f} s")
            workers.append(worker)
        for worker in workers:  # one at a time: start-up alone on its core
            stack.callback(worker.server.stop)
            worker.startup_seconds = _ready(worker.server)
            time.sleep(0.5)  # the first catch-up round after start-up has run
            worker.rss_kib = worker.server.rss_kib()
            say(
                f"  {worker.server.name}: current in {worker.startup_seconds:.2f} s,"
                f" {worker.rss_kib / 1024:.0f} MiB"
            )
        _throughput(workers, plan, say)
    base = workers[0]
    return [
        {
            "backend": w.backend,
            "revocations": w.revocations,
            "fill_seconds": w.fill_seconds,
            "startup_s": w.startup_seconds,
            "rss_mib": w.rss_kib / 1024,
            "mirror_mib": (w.rss_kib - base.rss_kib) / 1024,
            "rps": statistics.median(r.rps for r in w.runs),
            "p99_ms": statistics.median(r.p99_ms for r in w.runs),
            "vs_smallest": statistics.median(
                r.rps / b.rps for r, b in zip(w.runs, base.runs, strict=True)
            ),
            "vs_smallest_low": min(r.rps / b.rps for r, b in zip(w.runs, base.runs, strict=True)),
            "rounds": len(w.runs),
        }
        for w in workers
    ]


def _rotation(
    plan: Plan, work: Path, services: Services, settings: Settings, say: Callable[[str], None]
) -> list[dict[str, Any]]:
    cookie_name = _cookie_name(settings)
    needed = plan.rotation_rounds * plan.rotation_per_round + 10
    rows_of, fills, pools, tier1, servers = [], [], [], [], []
    tier3_ms: list[list[float]] = []
    tier1_ms: list[list[float]] = []
    with contextlib.ExitStack() as stack:
        for rows in plan.scale_rows:
            data_dir = work / f"postgres-rows-{rows}"
            data_dir.mkdir(parents=True, exist_ok=True)
            url = services.new_database()
            minter = Minter(url, data_dir, settings)
            stack.callback(minter.close)
            now = int(time.time())
            user_id = minter.add_user(EMAIL, now)
            tokens = minter.tier3(user_id, EMAIL, min(needed, rows))
            [current] = minter.tier1(user_id, EMAIL)
            seconds = _fill_sessions_postgres(url, rows - len(tokens) - 1, user_id=user_id, now=now)
            say(f"  postgres: {rows:>11,} session rows written in {seconds:.1f} s")
            rows_of.append(rows)
            fills.append(seconds)
            pools.append([f"{cookie_name}={t}" for t in tokens])
            tier1.append(f"{cookie_name}={current}")
            env = {**SUBJECT_ENV, "APP_DATABASE_URL": url}
            server = Server(f"rows-{rows}", "bench.subject:create", data_dir, env, cpus=APP_CPUS)
            stack.callback(server.stop)
            servers.append(server)
            tier3_ms.append([])
            tier1_ms.append([])
        for server in servers:
            _ready(server)
        for index, (server, pool) in enumerate(zip(servers, pools, strict=True)):
            _batch(server, [pool.pop() for _ in range(10)] + [tier1[index]] * 50)  # warm-up
        for number in range(plan.rotation_rounds):
            order = list(range(len(servers)))
            for index in order if number % 2 == 0 else order[::-1]:
                pool = pools[index]
                batch = [pool.pop() for _ in range(min(plan.rotation_per_round, len(pool)))]
                tier3_ms[index] += _batch(servers[index], batch)
                tier1_ms[index] += _batch(servers[index], [tier1[index]] * plan.rotation_per_round)
            say(f"  round {number + 1}/{plan.rotation_rounds} done")
    return [
        {
            "backend": "postgres",
            "rows": rows,
            "fill_seconds": fill,
            "samples": len(t3),
            "tier3_p50_ms": percentile(t3, 0.5),
            "tier3_p99_ms": percentile(t3, 0.99),
            "tier1_p50_ms": percentile(t1, 0.5),
        }
        for rows, fill, t3, t1 in zip(rows_of, fills, tier3_ms, tier1_ms, strict=True)
    ]


def measure_scale(
    plan: Plan, work: Path, results: dict[str, Any], say: Callable[[str], None] = print
) -> None:
    work = work / "scale"
    settings = Settings()
    services = Services()
    with contextlib.ExitStack() as stack:
        stack.callback(services.stop)
        sizes = ", ".join(f"{n:,}" for n in plan.scale_revocations)
        revocations = []
        for backend in SCALE_BACKENDS:
            say(f"a worker with {sizes} live revocations, {backend}")
            revocations += _revocations(
                backend, plan, work=work, services=services, settings=settings, say=say
            )
        say(f"rotation at {', '.join(f'{n:,}' for n in plan.scale_rows)} session rows, postgres")
        rotation = _rotation(plan, work, services, settings, say)
    results["scale"] = {"revocations": revocations, "rotation": rotation}
