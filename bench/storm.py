"""The fast path at rest and under load: a login storm, a strength flood.

:func:`measure_under_load` alternates, round by round and server by server, an
open-loop probe of tier-1 requests alone ("at rest") and the same probe while a load
runs in a process of its own (it prints one JSON line):

- the login storm (``python -m bench.storm URL EMAIL PASSWORD ...``): ``clients`` threads
  each sign in again and again (one request at a time, the right password) while another
  thread samples the server's resident memory every 20 ms;
- the strength flood (``python -m bench.flood``, :mod:`bench.flood`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import AppClient
from bench.openloop import ProbeResult, percentile, probe
from bench.servers import HOST, ROOT, Server

__all__ = ["LoadTarget", "main", "measure_under_load", "storm_command"]

_RAMP = 0.75  # seconds between starting the load and starting the probe


@dataclass(frozen=True, slots=True)
class LoadTarget:
    key: str
    label: str
    server: Server
    cookie: str  # a tier-1 request's
    email: str
    password: str


def storm_command(target: LoadTarget, seconds: float, clients: int) -> list[str]:
    command = [sys.executable, "-m", "bench.storm", target.server.url]
    command += [target.email, target.password, "--clients", str(clients)]
    return [*command, "--seconds", str(seconds), "--pid", str(target.server.pid)]


def _under_load(
    target: LoadTarget, command: list[str], rate: float, seconds: float
) -> tuple[ProbeResult, dict[str, Any]]:
    server = target.server
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        time.sleep(_RAMP)
        result = probe(HOST, server.port, "/dashboard", target.cookie, rate=rate, seconds=seconds)
        output, _ = process.communicate(timeout=180)
    if process.returncode != 0:
        raise RuntimeError(f"the load ({command[2]}) failed ({process.returncode})")
    return result, json.loads(output.strip().splitlines()[-1])


def measure_under_load(
    targets: list[LoadTarget],
    command: Callable[[LoadTarget, float], list[str]],
    *,
    rate: float,
    seconds: float,
    rounds: int,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Per target and round: the probe at rest, then the probe under the load that
    ``command(target, seconds)`` starts. Returns per target: the probe's figures at rest
    and under load, and the load's own JSON lines (``loads``)."""
    rest: dict[str, list[ProbeResult]] = {t.key: [] for t in targets}
    loud: dict[str, list[ProbeResult]] = {t.key: [] for t in targets}
    loads: dict[str, list[dict[str, Any]]] = {t.key: [] for t in targets}
    for number in range(rounds):
        for target in targets:
            server = target.server
            quiet = probe(
                HOST, server.port, "/dashboard", target.cookie, rate=rate, seconds=seconds
            )
            busy, load = _under_load(target, command(target, seconds + 2 * _RAMP), rate, seconds)
            rest[target.key].append(quiet)
            loud[target.key].append(busy)
            loads[target.key].append(load)
            say(
                f"  round {number + 1}/{rounds} {target.key}: p50/p99 at rest"
                f" {quiet.p50_ms:.2f}/{quiet.p99_ms:.2f} ms, under load"
                f" {busy.p50_ms:.2f}/{busy.p99_ms:.2f} ms"
            )
    return [_summary(t, rest[t.key], loud[t.key], loads[t.key]) for t in targets]


def _summary(
    target: LoadTarget,
    rest: list[ProbeResult],
    loud: list[ProbeResult],
    loads: list[dict[str, Any]],
) -> dict[str, Any]:
    if any(p.not_ok for p in rest + loud):
        raise RuntimeError(f"{target.key}: the probe got answers other than 200")
    rest_all = [x for p in rest for x in p.latencies_ms]
    loud_all = [x for p in loud for x in p.latencies_ms]
    return {
        "key": target.key,
        "label": target.label,
        "rate": rest[0].rate,
        "seconds": rest[0].seconds,
        "rounds": len(rest),
        "samples": len(rest_all),
        "rest_p50_ms": percentile(rest_all, 0.5),
        "rest_p99_ms": percentile(rest_all, 0.99),
        "rest_max_ms": max(rest_all),
        "load_p50_ms": percentile(loud_all, 0.5),
        "load_p99_ms": percentile(loud_all, 0.99),
        "load_max_ms": max(loud_all),
        "rounds_rest_p50_ms": [p.p50_ms for p in rest],
        "rounds_load_p50_ms": [p.p50_ms for p in loud],
        "rounds_rest_p99_ms": [p.p99_ms for p in rest],
        "rounds_load_p99_ms": [p.p99_ms for p in loud],
        "probe_cpu": max(p.cpu_fraction for p in rest + loud),
        "loads": loads,
    }


def storm_summary(summary: dict[str, Any], clients: int) -> dict[str, Any]:
    """The login storm's own figures, added to :func:`measure_under_load`'s."""
    storms = summary["loads"]
    if any(s["failures"] for s in storms):
        raise RuntimeError(f"{summary['key']}: failed logins during the storm")
    logins = sum(s["logins"] for s in storms)
    return summary | {
        "clients": clients,
        "logins_per_second": logins / sum(s["seconds"] for s in storms),
        "login_p50_ms": sorted(s["login_p50_ms"] for s in storms)[len(storms) // 2],
        "login_p99_ms": max(s["login_p99_ms"] for s in storms),
        "rss_rest_mib": min(s["rss_start_kib"] for s in storms) / 1024,
        "rss_peak_mib": max(s["rss_peak_kib"] for s in storms) / 1024,
    }


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("email")
    parser.add_argument("password")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--pid", type=int, required=True)
    args = parser.parse_args()

    clients = [AppClient(args.url) for _ in range(args.clients)]
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    rss = [rss_kib(args.pid)]
    start = time.perf_counter()
    deadline = start + args.seconds

    def sign_in(client: AppClient) -> None:
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            try:
                client.login(args.email, args.password)
            except RuntimeError:
                with lock:
                    failures[0] += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - begun) * 1000)

    def sample() -> None:
        while time.perf_counter() < deadline:
            rss.append(rss_kib(args.pid))
            time.sleep(0.02)

    threads = [threading.Thread(target=sign_in, args=(c,)) for c in clients]
    threads.append(threading.Thread(target=sample))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "logins": len(latencies),
                "failures": failures[0],
                "seconds": elapsed,
                "login_p50_ms": percentile(latencies, 0.5),
                "login_p99_ms": percentile(latencies, 0.99),
                "rss_start_kib": rss[0],
                "rss_peak_kib": max(rss),
            }
        )
    )


if __name__ == "__main__":
    main()
