"""PostgreSQL and Redis for the backend deployments: private servers on free ports in a
temporary directory, from Debian's packages (``make services`` checks they are there), or
the ones ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` name.

PostgreSQL runs without fsync (speed, not durability: nothing here outlives the run).
``initdb`` and ``pg_ctl`` refuse to run as root: as root they run as the ``postgres``
user, in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.servers import HOST, free_port
from bench.sessions_db import migrated

__all__ = ["Services", "pg_binary"]

_names = itertools.count(1)


def pg_binary(name: str) -> str:
    """``initdb``, ``pg_ctl``, ``postgres``: on the PATH, or in Debian's newest
    ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} was not found: install Debian's postgresql")
    return found


class Services:
    """Started on first use; :meth:`stop` ends what was started."""

    def __init__(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="bench-services-"))
        self._as: list[str] = []
        self._pg_data: Path | None = None
        self._redis: subprocess.Popen[bytes] | None = None
        self._postgres_url = os.environ.get("TEST_DATABASE_URL")
        self._redis_url = os.environ.get("TEST_REDIS_URL")

    def _pg(self, *command: str) -> None:
        subprocess.run([*self._as, *command], check=True, capture_output=True, timeout=120)

    def _postgres(self, database: str) -> str:
        if self._postgres_url is None:
            port, self._pg_data = free_port(), self._root / "pg"
            if os.geteuid() == 0:
                user = pwd.getpwnam("postgres")
                os.chown(self._root, user.pw_uid, user.pw_gid)
                self._as = ["runuser", "-u", "postgres", "--"]
            self._pg(pg_binary("initdb"), "-D", str(self._pg_data), "-U", "postgres",
                     "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip
            options = (
                f"-p {port} -c listen_addresses={HOST} -c unix_socket_directories={self._root}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=300"
            )
            self._pg(pg_binary("pg_ctl"), "-D", str(self._pg_data), "-o", options, "-w",
                     "-l", str(self._root / "postgres.log"), "start")  # fmt: skip
            self._postgres_url = f"postgresql+asyncpg://postgres@{HOST}:{port}/postgres"
        return make_url(self._postgres_url).set(database=database).render_as_string(False)

    def new_database(self) -> str:
        """A fresh PostgreSQL database, migrated; its SQLAlchemy URL (asyncpg)."""
        name = f"bench_{os.getpid()}_{next(_names)}"
        admin = make_url(self._postgres("postgres")).set(drivername="postgresql")
        with psycopg.connect(admin.render_as_string(False), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        return migrated(self._postgres(name))

    def redis_url(self) -> str:
        if self._redis_url is None:
            port = free_port()
            command = ["redis-server", "--port", str(port), "--bind", HOST, "--save", ""]
            command += ["--appendonly", "no", "--dir", str(self._root)]
            self._redis = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self._redis_url = f"redis://{HOST}:{port}/0"
            _wait_for(self._redis_url)
        return self._redis_url

    def stop(self) -> None:
        if self._pg_data is not None:
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._pg(pg_binary("pg_ctl"), "-D", str(self._pg_data), "-m", "immediate", "stop")
        if self._redis is not None:
            self._redis.terminate()
            try:
                self._redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._redis.kill()
                self._redis.wait(timeout=10)
        shutil.rmtree(self._root, ignore_errors=True)


def _wait_for(url: str, timeout: float = 20) -> None:
    import redis  # noqa: PLC0415 - the bench extra

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer within {timeout:.0f} s")
            time.sleep(0.05)
    finally:
        client.close()
