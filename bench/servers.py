"""Each benchmarked app in its own uvicorn process, loopback only, no access log.

uvicorn runs with the flags ``python -m app serve`` gives it (no ``Server`` header, at
most 1,000 connections, a 5 s keep-alive, h11 on uvloop). One worker unless ``workers``
says otherwise: ``uvicorn --workers N`` then forks N processes that share the listening
socket. ``cpus`` pins the server (and
everything it starts) with ``taskset``; the load generator is pinned apart
(:data:`LOAD_CPUS`) so the two do not trade places on the 2-core machine.

Environment: the caller's, less any ``APP_*`` of its own, plus the server's ``APP_*``
settings. Output goes to a log file in the server's data directory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["APP_CPUS", "HOST", "LOAD_CPUS", "ROOT", "Server", "free_port", "pinned", "start_all"]

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
_CPUS = sorted(os.sched_getaffinity(0))
# One core for the server under test, the other for the load generator (when there are two).
APP_CPUS = str(_CPUS[0])
LOAD_CPUS = str(_CPUS[-1]) if len(_CPUS) > 1 else None


def pinned(command: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *command] if cpus else command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    factory: str  # "module:function", served with uvicorn --factory
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    cpus: str | None = None  # taskset list, e.g. "0"; None: anywhere
    port: int = 0
    python: str = sys.executable  # the interpreter (the stacks': the bench venv's)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """The process that serves requests (with several workers: their parent)."""
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.process.pid  # taskset execs uvicorn in place

    def start(self, timeout: float = 90) -> Server:
        return self.launch().wait_ready(timeout)

    def launch(self) -> Server:
        """Start the process; :meth:`wait_ready` waits for it (servers start in parallel)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        env.update({"APP_DATA_DIR": str(self.data_dir), **self.env})
        command = [self.python, "-m", "uvicorn", self.factory, "--factory"]
        command += ["--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        command += ["--no-access-log", "--no-server-header", "--log-level", "warning"]
        command += ["--limit-concurrency", "1000", "--timeout-keep-alive", "5", "--http", "h11"]
        with (self.data_dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                pinned(command, self.cpus), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_ready(self, timeout: float = 90) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.data_dir / 'server.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s")

    def rss_kib(self) -> int:
        """Resident memory of the server process now (KiB)."""
        return _status_kib(self.pid, "VmRSS")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _status_kib(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def start_all(servers: list[Server], timeout: float = 120) -> None:
    """Launch every server, then wait for each: start-up (imports, migrations, zxcvbn's
    warm-up) overlaps."""
    for server in servers:
        server.launch()
    for server in servers:
        server.wait_ready(timeout)
