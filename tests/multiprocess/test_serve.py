"""``python -m app serve``, the production way to run the app, as a client meets it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import REPO_ROOT, LiveServer
from tests.support.remote import RemoteBrowser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("serve"), env={"APP_IP_MAX_ATTEMPTS": "5"})
    live.start()
    yield live
    live.stop()


def test_no_server_header_and_head_answers(server: LiveServer) -> None:
    for path in ("/healthz", "/login"):
        head = RemoteBrowser(server.base_url).request("HEAD", path)
        assert head.status_code == 200
        assert head.content == b""
        assert "server" not in head.headers


def test_a_header_block_past_16_kib_is_refused_before_the_app(server: LiveServer) -> None:
    """A server that buffers any header block can be made to hold megabytes per
    connection; ``app serve`` stops reading at 16 KiB."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 1_000_000
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        try:
            connection.sendall(request + b"\r\n\r\n")
            answer = connection.recv(100)
        except ConnectionResetError:  # closed while the rest was still being sent
            answer = b""
    assert not answer.startswith(b"HTTP/1.1 200"), answer


def test_a_forwarded_address_is_ignored_unless_a_proxy_is_trusted(server: LiveServer) -> None:
    """uvicorn alone believes X-Forwarded-For from loopback; app serve believes nobody."""
    attempts = []
    for n in range(6):
        person = RemoteBrowser(server.base_url)
        claimed = {"X-Forwarded-For": f"10.0.0.{n}", "X-Real-IP": f"10.0.1.{n}"}
        response = person.login(f"nobody{n}@example.com", "a wrong password!", headers=claimed)
        attempts.append(response.status_code)
    assert attempts == [401] * 5 + [429]  # all counted as 127.0.0.1, whatever they claimed


def test_cookies_without_secure_beyond_loopback_refuse_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env |= {"APP_DATA_DIR": str(tmp_path), "APP_COOKIE_SECURE": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--host", "0.0.0.0", "--port", "1"],  # noqa: S104
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "APP_ALLOW_INSECURE_COOKIES" in done.stderr


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_server_leaves_no_process_behind(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up: the password-strength worker must notice on its own."""
    live = LiveServer(tmp_path).start()
    try:
        helpers = _children(live.pid)
        assert helpers, "the strength worker is started (and warmed) with the app"
        os.kill(live.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in helpers)
    finally:
        live.stop()
