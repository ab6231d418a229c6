"""A PostgreSQL cluster of a test's own that the test takes down: stopped at once (as in a
crash: ``pg_ctl -m immediate``), started again on the same port and data, or frozen
(``SIGSTOP`` to the postmaster and every backend: sockets stay open, nothing answers).

Unlike the run's shared cluster it commits synchronously: what a test was told is
committed survives the crash (``fsync`` stays off: the processes die, the host does not).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from tests.support.servers import PostgresServer, _pg_binary

__all__ = ["OutagePostgres", "cluster_processes"]


def cluster_processes(postmaster: int) -> list[int]:
    """The postmaster and every process it started (backends, checkpointer, ...)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == postmaster:
            children.append(int(entry.name))
    return [postmaster, *children]


class OutagePostgres(PostgresServer):
    def __init__(self) -> None:
        super().__init__()
        self._frozen: list[int] = []

    def start(self) -> OutagePostgres:
        initdb = [_pg_binary("initdb"), "-D", str(self.data), "-U", "postgres"]
        self._run(*initdb, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        self.start_again()
        return self

    @property
    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def crash(self) -> None:
        """Every server process killed, no shutdown checkpoint: the server is gone."""
        self._run(_pg_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def start_again(self) -> None:
        """The cluster started (again, after :meth:`crash`: it recovers first), on its port."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=100"
        )
        pg_ctl = [_pg_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-w"]
        self._run(*pg_ctl, "-l", str(self.root / "server.log"), "start")

    def freeze(self) -> None:
        self._frozen = cluster_processes(self.postmaster)
        for pid in self._frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self._frozen = []

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        self.freeze()
        try:
            yield
        finally:
            self.thaw()

    def stop(self) -> None:
        self.thaw()  # a frozen server would not stop
        super().stop()
