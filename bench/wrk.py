"""Drive a server with Debian's ``wrk`` (C, epoll, one thread): closed loop, N connections.

``wrk`` is installed with apt when missing. It is pinned with ``taskset`` to a core of its
own (:data:`bench.servers.LOAD_CPUS`), apart from the server's; the Lua script
(``wrk.lua``) counts every non-200 answer so a redirect never passes for a page.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.servers import LOAD_CPUS, pinned

__all__ = ["WrkResult", "ensure_wrk", "run_wrk", "wrk_version"]

SCRIPT = Path(__file__).with_name("wrk.lua")


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    bytes_per_response: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    not_ok: int
    exhausted: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return self.not_ok == 0 and self.exhausted == 0 and self.socket_errors == 0


def ensure_wrk() -> str:
    """The path of ``wrk``; installs Debian's package when it is missing (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is still missing after apt-get install wrk")
    return found


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    cookie: str = "",
    tokens: Path | None = None,
    token_cookie: str = "",
    cpus: str | None = LOAD_CPUS,
    authorization: str = "",
) -> WrkResult:
    env = {
        **os.environ,
        "BENCH_COOKIE": cookie,
        "BENCH_TOKENS": str(tokens) if tokens else "",
        "BENCH_TOKEN_COOKIE": token_cookie,
        "BENCH_AUTHORIZATION": authorization,
    }
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(seconds, 1)}s",  # wrk takes whole seconds
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
    ]
    result = subprocess.run(
        pinned(command, cpus), capture_output=True, text=True, env=env, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    data = json.loads(lines[-1])
    requests = data["requests"]
    return WrkResult(
        requests=requests,
        seconds=data["duration_us"] / 1e6,
        bytes_per_response=data["bytes"] / requests if requests else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        not_ok=data["not_ok"],
        exhausted=data["exhausted"],
        socket_errors=data["socket_errors"],
    )
