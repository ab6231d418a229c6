"""Revocation propagation on a 2-worker deployment: a session is signed out with
``POST /logout``; from the moment its response arrives, each worker is asked with the
session's token, over and over, until it refuses (``303``). Before each logout new
connections are opened until one of each worker is held (``X-Bench-Worker``, a
bench-only header naming the process; the app's ``X-Test-Process`` needs the test
clock, whose per-request query would change what is measured), and every worker must
have served the token. The figure is the time until the last worker refused.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.config import Settings
from bench.client import AppClient
from bench.openloop import percentile
from bench.page import EMAIL
from bench.rawhttp import Connection
from bench.servers import HOST, Server
from bench.subject import WORKER_HEADER

if TYPE_CHECKING:
    from bench.backends import Deployment

__all__ = ["measure_propagation"]

_HEADER = WORKER_HEADER.encode()


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


def measure_propagation(
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
