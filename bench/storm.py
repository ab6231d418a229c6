"""The fast path's p99 at rest and during a login storm.

:func:`measure_storm` alternates, round by round and server by server, an
open-loop probe of tier-1 requests alone ("at rest") and the same probe in a storm.
The storm is its own process (``python -m bench.storm URL EMAIL PASSWORD ...``):
``clients`` threads each sign in again and again (one request at a time, the right
password) while another thread samples the server's resident memory every 20 ms;
it prints one JSON line.
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

__all__ = ["StormTarget", "main", "measure_storm"]

_RAMP = 0.75  # seconds between starting the storm and starting the probe


@dataclass(frozen=True, slots=True)
class StormTarget:
    key: str
    label: str
    server: Server
    cookie: str  # a tier-1 request's
    email: str
    password: str


def _storm_once(
    target: StormTarget, rate: float, seconds: float, clients: int
) -> tuple[ProbeResult, dict[str, Any]]:
    server = target.server
    command = [sys.executable, "-m", "bench.storm", server.url, target.email, target.password]
    command += ["--clients", str(clients), "--seconds", str(seconds + 2 * _RAMP)]
    command += ["--pid", str(server.pid)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        time.sleep(_RAMP)
        result = probe(HOST, server.port, "/dashboard", target.cookie, rate=rate, seconds=seconds)
        output, _ = process.communicate(timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"the login storm failed ({process.returncode})")
    return result, json.loads(output.strip().splitlines()[-1])


def measure_storm(
    targets: list[StormTarget],
    *,
    rate: float,
    seconds: float,
    rounds: int,
    clients: int,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Per target and round: the probe at rest, then the probe during a storm."""
    rest: dict[str, list[ProbeResult]] = {t.key: [] for t in targets}
    storm: dict[str, list[ProbeResult]] = {t.key: [] for t in targets}
    storms: dict[str, list[dict[str, Any]]] = {t.key: [] for t in targets}
    for number in range(rounds):
        for target in targets:
            server = target.server
            quiet = probe(
                HOST, server.port, "/dashboard", target.cookie, rate=rate, seconds=seconds
            )
            loud, logins = _storm_once(target, rate, seconds, clients)
            rest[target.key].append(quiet)
            storm[target.key].append(loud)
            storms[target.key].append(logins)
            say(
                f"  round {number + 1}/{rounds} {target.key}: p99 at rest {quiet.p99_ms:.2f} ms,"
                f" in the storm {loud.p99_ms:.2f} ms,"
                f" {logins['logins'] / logins['seconds']:.0f} logins/s"
            )
    return [
        _summary(target, rest[target.key], storm[target.key], storms[target.key], clients)
        for target in targets
    ]


def _summary(
    target: StormTarget,
    rest: list[ProbeResult],
    storm: list[ProbeResult],
    storms: list[dict[str, Any]],
    clients: int,
) -> dict[str, Any]:
    if any(p.not_ok for p in rest + storm) or any(s["failures"] for s in storms):
        raise RuntimeError(f"{target.key}: failed requests during the storm measurement")
    rest_all = [x for p in rest for x in p.latencies_ms]
    storm_all = [x for p in storm for x in p.latencies_ms]
    logins = sum(s["logins"] for s in storms)
    return {
        "key": target.key,
        "label": target.label,
        "rate": rest[0].rate,
        "seconds": rest[0].seconds,
        "rounds": len(rest),
        "clients": clients,
        "samples": len(rest_all),
        "rest_p50_ms": percentile(rest_all, 0.5),
        "rest_p99_ms": percentile(rest_all, 0.99),
        "rest_max_ms": max(rest_all),
        "storm_p50_ms": percentile(storm_all, 0.5),
        "storm_p99_ms": percentile(storm_all, 0.99),
        "storm_max_ms": max(storm_all),
        "rounds_rest_p99_ms": [p.p99_ms for p in rest],
        "rounds_storm_p99_ms": [p.p99_ms for p in storm],
        "probe_cpu": max(p.cpu_fraction for p in rest + storm),
        "logins_per_second": logins / sum(s["seconds"] for s in storms),
        "login_p50_ms": sorted(s["login_p50_ms"] for s in storms)[len(storms) // 2],
        "login_p99_ms": max(s["login_p99_ms"] for s in storms),
        "rss_rest_mib": min(s["rss_start_kib"] for s in storms) / 1024,
        "rss_peak_mib": max(s["rss_peak_kib"] for s in storms) / 1024,
    }


def _rss_kib(pid: int) -> int:
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
    rss = [_rss_kib(args.pid)]
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
            rss.append(_rss_kib(args.pid))
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
