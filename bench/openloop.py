"""An open-loop probe: requests leave on a fixed schedule whatever the server does.

A scheduler thread hands each request to a pool of worker threads (one keep-alive
connection each) at ``t0 + i / rate``; a request's latency runs from that scheduled
moment to the end of its response, so a server that stalls cannot hide behind a
client that slows down with it (coordinated omission).
"""

from __future__ import annotations

import queue
import resource
import threading
import time
from dataclasses import dataclass

from bench.rawhttp import Connection

__all__ = ["ProbeResult", "percentile", "probe"]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    rate: float
    seconds: float
    latencies_ms: list[float]
    not_ok: int
    cpu_fraction: float  # of one core, the probe's own (all its threads)

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 0.99)


def probe(
    host: str, port: int, path: str, cookie: str, *, rate: float, seconds: float, workers: int = 16
) -> ProbeResult:
    jobs: queue.SimpleQueue[float | None] = queue.SimpleQueue()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    connections = [Connection(host, port) for _ in range(workers)]

    def work(connection: Connection) -> None:
        request = connection.request_bytes(path, cookie)
        while (scheduled := jobs.get()) is not None:
            status = connection.send(request)
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed * 1000)
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in connections]
    for thread in threads:
        thread.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    count = int(rate * seconds)
    start = time.perf_counter() + 0.01
    for i in range(count):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put(scheduled)
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    for connection in connections:
        connection.close()
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return ProbeResult(
        rate=rate,
        seconds=seconds,
        latencies_ms=latencies,
        not_ok=len(failures),
        cpu_fraction=cpu / seconds,
    )
