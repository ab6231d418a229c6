"""Real deployments (``python -m app serve``) as the multiprocess tests see them: the
settings a backend needs, one started deployment, and the polls that check a promise on
every worker rather than on whichever one answered.

Shared by ``tests/multiprocess`` (its conftest builds the ``deployment`` fixture from
these; its test modules import them from here, never from the conftest or each other).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.backends import Backend, Servers
from tests.support.database import Database
from tests.support.live import LiveServer, ServerClock
from tests.support.remote import RemoteBrowser, process_of

_people = itertools.count(1)

# Fast enough to see a revocation travel; the bound after which a worker that cannot
# confirm its denylist reads the session row instead.
POLL = "250ms"
MAX_LAG = "1s"

WORKERS = 2
PROPAGATION = 1.0  # seconds: a revocation is enforced by every worker within this


@dataclass
class Deployment:
    backend: Backend
    server: LiveServer
    clock: ServerClock
    db: Database
    env: dict[str, str]

    def new_email(self) -> str:
        return f"person{next(_people)}@example.com"


def backend_env(backend: Backend, servers: Servers, data_dir: Path) -> dict[str, str]:
    env = {
        "APP_REVOCATION_POLL": POLL,
        "APP_REVOCATION_MAX_LAG": MAX_LAG,
        "APP_IP_MAX_ATTEMPTS": "10000",  # every person here comes from 127.0.0.1
    }
    if backend.database == "postgres":
        env["APP_DATABASE_URL"] = servers.new_database()
    else:
        env["APP_DATABASE_URL"] = f"sqlite+aiosqlite:///{data_dir / 'app.db'}"
    if backend.store == "redis":
        env["APP_REVOCATION_STORE"] = servers.redis_url()
    return env


def refused_everywhere_after(token: str, browser: RemoteBrowser, since: float) -> float:
    """Poll with ``token`` until each worker has refused it several times running; the
    seconds from ``since`` to the last time any worker still served it (0: none did)."""
    last_served, refusals = since, dict[str, int]()
    while time.monotonic() - since < 10:
        response = browser.with_token(token).dashboard()
        if response.status_code == 200:
            last_served = time.monotonic()
            refusals.clear()
            continue
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/login")
        refusals[process_of(response)] = refusals.get(process_of(response), 0) + 1
        if len(refusals) == WORKERS and min(refusals.values()) >= 5:
            return last_served - since
    raise AssertionError(f"not refused by every worker within 10 s: {refusals}")


def served_by_every_worker(token: str, browser: RemoteBrowser) -> None:
    seen: set[str] = set()
    for _ in range(60):
        response = browser.with_token(token).dashboard()
        assert response.status_code == 200, response.text
        seen.add(process_of(response))
        if len(seen) == WORKERS:
            return
    raise AssertionError(f"only {seen} answered 60 requests over new connections")
