"""The app as people and operators get it: ``python -m app serve`` in a process of its own
(N workers), real sockets, its log in a file, ready once ``/healthz`` answers.

Every request of :meth:`LiveServer.fresh` goes over a new connection, so that with several
workers consecutive requests land on different processes, as they do behind a load
balancer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import httpx

from tests.support.servers import end_process, free_port

__all__ = ["REPO_ROOT", "LiveServer", "ServerClock"]

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
LOG_TAIL = 4000


class LiveServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        plain_uvicorn: bool = False,
        host_name: str = "127.0.0.1",
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.port = port or free_port()
        # The name in APP_BASE_URL and every URL (it listens on 127.0.0.1 either way):
        # "localhost" where passkeys must work (a relying-party ID is never an IP address).
        self.base_url = f"http://{host_name}:{self.port}"
        self.log_path = data_dir / "server.log"
        self.extra_env = dict(env or {})
        self.plain_uvicorn = plain_uvicorn  # `python -m uvicorn app.main:app`, as README allows
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not running"
        return self._process.pid

    @property
    def db_path(self) -> Path:
        return self.data_dir / "app.db"

    def start(self) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Inherited APP_* settings (a developer's shell) would change the lifetimes the
        # tests reason about, or point the server at another database: drop them.
        env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        env |= {
            "APP_TEST_CLOCK": "1",
            "APP_COOKIE_SECURE": "false",
            "APP_DATA_DIR": str(self.data_dir),
            "APP_BASE_URL": self.base_url,
            **self.extra_env,
        }
        command = [sys.executable, "-m", "app", "serve"]
        if self.plain_uvicorn:
            command = [sys.executable, "-m", "uvicorn", "app.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self._process.returncode}\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s\n{self.log_tail()}"
        )

    def fresh(self, **kwargs: object) -> httpx.Client:
        """A client whose every request opens a new connection (no keep-alive)."""
        limits = httpx.Limits(max_keepalive_connections=0)
        return httpx.Client(base_url=self.base_url, limits=limits, timeout=10, **kwargs)  # type: ignore[arg-type]

    def log_text(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self) -> str:
        return f"--- server log ({self.log_path}) ---\n{self.log_text()[-LOG_TAIL:]}"

    def stop(self) -> None:
        if self._process is not None:
            end_process(self._process, timeout=15)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class ServerClock:
    """The deployment's test clock, driven over HTTP (``/_test/clock``): the only way time
    passes in these tests (nothing sleeps to wait out an expiry)."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=10)

    def now(self) -> datetime:
        response = self._client.get("/_test/clock")
        assert response.status_code == 200, response.text
        return _parse(response.json()["now"])

    def advance(self, delta: timedelta | int) -> datetime:
        seconds = int(delta.total_seconds()) if isinstance(delta, timedelta) else delta
        response = self._client.post("/_test/clock", json={"advance": seconds})
        assert response.status_code == 200, response.text
        return _parse(response.json()["now"])

    def close(self) -> None:
        self._client.close()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
