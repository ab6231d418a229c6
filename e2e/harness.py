"""What the browser tests stand on: a real server process, its clock, its database file.

- :class:`LiveServer` runs ``python -m uvicorn app.main:app`` with the test clock on and a
  data directory of its own, logs to a file, and waits for ``/healthz``.
- :class:`ServerClock` moves the server's time through ``/_test/clock`` (the only way
  time passes in these tests: nothing sleeps to wait out an expiry).
- :class:`AppDatabase` reads and edits the server's SQLite file, as an operator would.

One server serves the whole session and its clock only moves forward, so every test
registers its own user (:func:`new_credentials`) and reasons in relative advances.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
from playwright.sync_api import BrowserContext

__all__ = [
    "AUTH_COOKIE",
    "PASSWORD",
    "AppDatabase",
    "Credentials",
    "LiveServer",
    "ServerClock",
    "auth_cookie",
    "new_credentials",
]

AUTH_COOKIE = "auth"  # the cookie's name when APP_COOKIE_SECURE=false (no __Host- prefix)
PASSWORD = "quiet lantern orbit meadow 42"
REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 20.0
LOG_TAIL = 4000


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str = PASSWORD


def new_credentials() -> Credentials:
    """A user nobody else in this run has: the server and its database live all session."""
    return Credentials(email=f"e2e-{uuid.uuid4().hex[:12]}@example.com")


def auth_cookie(context: BrowserContext) -> dict[str, Any] | None:
    """The auth cookie the browser holds (what it will send), or None."""
    for cookie in context.cookies():
        if cookie.get("name") == AUTH_COOKIE:
            return dict(cookie)
    return None


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """The app as users get it: its own process, real sockets, a SQLite file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "app.db"

    def start(self) -> None:
        # Inherited APP_* settings (a developer's shell) would change the lifetimes the
        # tests reason about, or point the server at another database: drop them.
        env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        env |= {
            "APP_TEST_CLOCK": "1",
            "APP_COOKIE_SECURE": "false",
            "APP_DATA_DIR": str(self.data_dir),
        }
        command = [sys.executable, "-m", "uvicorn", "app.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self._process.returncode}\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"the server did not answer /healthz within {STARTUP_TIMEOUT:.0f} s\n{self.log_tail()}"
        )

    def log_tail(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return f"--- server log ({self.log_path}) ---\n{text[-LOG_TAIL:]}"

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class ServerClock:
    """The server's test clock, driven over HTTP (``/_test/clock``)."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=10)

    def now(self) -> datetime:
        response = self._client.get("/_test/clock")
        assert response.status_code == 200, response.text
        return _parse(response.json()["now"])

    def advance(self, delta: timedelta) -> datetime:
        response = self._client.post("/_test/clock", json={"advance": int(delta.total_seconds())})
        assert response.status_code == 200, response.text
        return _parse(response.json()["now"])

    def close(self) -> None:
        self._client.close()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class AppDatabase:
    """The server's SQLite file, read and edited behind the app's back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def session_secret_hashes(self, email: str) -> list[str]:
        """The stored hashes of the user's session secrets, oldest session first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT s.secret_hash FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE u.email = ? ORDER BY s.id",
                (email,),
            ).fetchall()
        return [row[0] for row in rows]

    def delete_sessions(self, email: str) -> int:
        """Delete every session row of the user; the number deleted."""
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)",
                (email,),
            )
            return cursor.rowcount
