"""Real servers for the tests, private to this run: PostgreSQL and Redis on free ports in a
temporary directory (or the ones ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` name), and an
SMTP server (aiosmtpd) that keeps what it receives.

PostgreSQL's ``initdb`` and ``pg_ctl`` refuse to run as root: as root they run as the
``postgres`` user, in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path

__all__ = ["PostgresServer", "RedisServer", "end_process", "free_port", "wait_for_port"]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def end_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it lingers past ``timeout``; reaped either way."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _pg_binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install Debian's postgresql "
            "(make test does), or point TEST_DATABASE_URL at a server"
        )
    return found


class PostgresServer:
    """A throwaway cluster: trust auth on 127.0.0.1, no fsync (speed, not durability)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.root / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        """A SQLAlchemy URL (asyncpg) for database ``postgres``; swap the name as needed."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        initdb = [_pg_binary("initdb"), "-D", str(self.data), "-U", "postgres"]
        self._run(*initdb, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300"
        )
        pg_ctl = [_pg_binary("pg_ctl"), "-D", str(self.data), "-o", options]
        self._run(*pg_ctl, "-w", "-l", str(self.root / "server.log"), "start")
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run(_pg_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError(
                "redis-server was not found: install Debian's redis-server "
                "(make test does), or point TEST_REDIS_URL at a server"
            )
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.root)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)
        return self

    def start_again(self) -> RedisServer:
        """The same server on the same port, after :meth:`stop` (an outage that ends)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self.start()

    def stop(self) -> None:
        if self._process is not None:
            end_process(self._process)
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)
