"""What a login costs in CPU and memory: argon2id with the app's default (OWASP) parameters.

- ``verify_ms``: one verification, in this process.
- ``memory_per_login``: peak resident memory of a fresh process while ``k`` verifications
  run at once (``python -m bench.logins K HASH``), less its memory before, over ``k``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type

from app.config import Settings

__all__ = ["Argon2Cost", "measure_argon2"]

_PASSWORD = "correct horse battery staple"  # noqa: S105 (hashed and thrown away)


@dataclass(frozen=True, slots=True)
class Argon2Cost:
    memory_kib: int
    time_cost: int
    parallelism: int
    verify_ms: float
    memory_mib_per_login: dict[int, float]  # concurrent logins -> MiB each


def _hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def measure_argon2(concurrency: tuple[int, ...] = (1, 2, 4)) -> Argon2Cost:
    settings = Settings()
    hasher = _hasher(settings)
    stored = hasher.hash(_PASSWORD)
    timings = []
    for _ in range(7):
        begun = time.perf_counter()
        hasher.verify(stored, _PASSWORD)
        timings.append((time.perf_counter() - begun) * 1000)
    per_login = {}
    for k in concurrency:
        output = subprocess.run(
            [sys.executable, "-m", "bench.logins", str(k), stored],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        data = json.loads(output)
        per_login[k] = (data["peak_kib"] - data["before_kib"]) / 1024 / k
    return Argon2Cost(
        memory_kib=settings.argon2_memory_cost,
        time_cost=settings.argon2_time_cost,
        parallelism=settings.argon2_parallelism,
        verify_ms=statistics.median(timings),
        memory_mib_per_login=per_login,
    )


def _child(concurrency: int, stored: str) -> None:
    hasher = _hasher(Settings())
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    barrier = threading.Barrier(concurrency)

    def verify() -> None:
        barrier.wait()
        hasher.verify(stored, _PASSWORD)

    threads = [threading.Thread(target=verify) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"before_kib": before, "peak_kib": _status_kib("VmHWM")}))


if __name__ == "__main__":
    _child(int(sys.argv[1]), sys.argv[2])
