"""Rotation latency against the size of the session table (10^3 and 10^6 rows).

For each size, a SQLite file is filled first (``sessions_db.fill``) and served by its
own server (system clock). The latency of a tier-3 request is timed one request at a
time (one connection, nothing else in flight), each with the token of a different
session, beside a tier-1 request on the same server as the reference. The sizes are
interleaved round by round.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Settings
from app.security.cookies import AppCookies
from bench.openloop import percentile
from bench.rawhttp import Connection
from bench.servers import APP_CPUS, HOST, Server, start_all
from bench.sessions_db import Minter, fill, migrated, sqlite_url

__all__ = ["RotationResult", "measure_rotation"]

_EMAIL = "rows@example.com"


@dataclass
class RotationResult:
    rows: int
    fill_seconds: float
    tier3_ms: list[float] = field(default_factory=list)
    tier1_ms: list[float] = field(default_factory=list)
    rows_after: int = 0

    @property
    def tier3_p50(self) -> float:
        return percentile(self.tier3_ms, 0.5)

    @property
    def tier3_p99(self) -> float:
        return percentile(self.tier3_ms, 0.99)

    @property
    def tier1_p50(self) -> float:
        return percentile(self.tier1_ms, 0.5)


def _batch(server: Server, cookies: list[str]) -> list[float]:
    connection = Connection(HOST, server.port)
    try:
        latencies = []
        for cookie in cookies:
            status, seconds = connection.timed("/dashboard", cookie)
            if status != 200:
                raise RuntimeError(f"{server.name}: /dashboard answered {status}")
            latencies.append(seconds * 1000)
        return latencies
    finally:
        connection.close()


def measure_rotation(
    work: Path,
    sizes: tuple[int, ...],
    *,
    rounds: int,
    per_round: int,
    say: Callable[[str], None] = print,
) -> list[RotationResult]:
    settings = Settings()
    cookie_name = AppCookies.of(secure=settings.cookie_secure).auth.name
    needed = rounds * per_round + 10  # and 10 for the warm-up
    results, servers, pools, tier1 = [], [], [], []
    try:
        for rows in sizes:
            data_dir = work / f"rows-{rows}"
            db = data_dir / "app.db"
            minter = Minter(migrated(sqlite_url(data_dir)), data_dir, settings)
            now = int(time.time())
            user_id = minter.add_user(_EMAIL, now)
            tokens = minter.tier3(user_id, _EMAIL, min(needed, rows))
            [current] = minter.tier1(user_id, _EMAIL)  # tier 1: the reference
            minter.close()
            seconds = fill(db, rows - len(tokens) - 1, user_id=user_id, now=now)
            say(f"  {rows:>9,} rows written in {seconds:.1f} s")
            results.append(RotationResult(rows=rows, fill_seconds=seconds))
            pools.append([f"{cookie_name}={t}" for t in tokens])
            tier1.append(f"{cookie_name}={current}")
            servers.append(Server(f"rows-{rows}", "bench.subject:create", data_dir, cpus=APP_CPUS))
        start_all(servers)
        for index, (server, pool) in enumerate(zip(servers, pools, strict=True)):
            _batch(server, [pool.pop() for _ in range(10)] + [tier1[index]] * 50)  # warm-up
        for number in range(rounds):
            for index, (server, pool, result) in enumerate(
                zip(servers, pools, results, strict=True)
            ):
                batch = [pool.pop() for _ in range(min(per_round, len(pool)))]
                result.tier3_ms += _batch(server, batch)
                result.tier1_ms += _batch(server, [tier1[index]] * per_round)
            say(f"  round {number + 1}/{rounds} done")
        for result, server in zip(results, servers, strict=True):
            with closing(sqlite3.connect(server.data_dir / "app.db")) as connection:
                result.rows_after = connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[
                    0
                ]
    finally:
        for server in servers:
            server.stop()
    return results
