"""SQL statements per request, by tier: the app in-process through Litestar's TestClient,
every statement its engine runs caught by an SQLAlchemy ``before_cursor_execute``
listener and every transaction by a ``commit`` listener.

Each tier is checked on the page itself ("How it was served") before it is counted.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event

from app.clock import TestClock
from app.config import Settings
from app.web.routes.pages import TIERS
from bench.subject import FLOOR, build

__all__ = ["TierStatements", "count_statements"]

_PASSWORD = "correct horse battery staple"  # noqa: S105 (a throwaway account in a temp dir)
_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class TierStatements:
    name: str
    statements: list[str]
    transactions: int

    @property
    def summary(self) -> str:
        """``SELECT sessions, UPDATE sessions, ...`` (verb and first table of each)."""
        return ", ".join(_short(s) for s in self.statements) or "none"

    @property
    def count(self) -> int:
        """Statements that touch a table (SQLite's ``BEGIN`` lines are the app's own
        transaction control, shown in the summary, not counted)."""
        return sum(1 for s in self.statements if not s.lstrip().upper().startswith("BEGIN"))


def _short(statement: str) -> str:
    verb = statement.split(None, 1)[0].upper()
    if verb == "BEGIN":  # SQLite: the app's own BEGIN (DEFERRED to read, IMMEDIATE to write)
        return " ".join(statement.split()[:2]).upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else '?'}"


class _Recorder:
    def __init__(self, app: Litestar) -> None:
        self.statements: list[str] = []
        self.commits = 0
        engine = app.state.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement)

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def measure(self, name: str, action: Callable[[], None]) -> TierStatements:
        self.statements.clear()
        self.commits = 0
        action()
        return TierStatements(name, list(self.statements), self.commits)


def count_statements() -> list[TierStatements]:
    """Statements for one request of each kind, in the order a session lives them."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            base_url="https://testserver.local",
            test_clock=True,  # a clock of this process's own (below): no shared-clock query
            argon2_time_cost=1,
            argon2_memory_cost=8,
            argon2_parallelism=1,
            purge_interval=0,
            revocation_poll=60,  # no background catch-up query in the middle of a count
            revocation_max_lag=3600,
            outbox_poll=60,
            log_level="WARNING",
        )
        clock = TestClock(1_800_000_000)
        app = build(settings, clock=clock)
        with TestClient(app, base_url="https://testserver.local") as client:
            recorder = _Recorder(app)
            form = client.get("/register").text
            csrf = _CSRF_INPUT.search(form)
            if csrf is None:
                raise RuntimeError("no CSRF input on /register")
            fields = {"email": "count@example.com", "password": _PASSWORD}
            fields |= {"password_confirm": _PASSWORD, "_csrf_token": csrf.group(1)}
            response = client.post("/register", data=fields, follow_redirects=False)
            if response.status_code != 303:
                raise RuntimeError(f"register: {response.status_code}")
            token = client.cookies["__Host-auth"]

            def page(
                expected_tier: tuple[int, bool] | None, path: str = "/dashboard"
            ) -> Callable[[], None]:
                def request() -> None:
                    client.cookies.clear()
                    client.cookies.set("__Host-auth", token)
                    response = client.get(path, follow_redirects=False)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: {response.status_code}")
                    if expected_tier and TIERS[expected_tier] not in response.text:
                        raise RuntimeError(f"{path} was not served by tier {expected_tier[0]}")

                return request

            results = [recorder.measure("unguarded page", page(None, FLOOR))]
            results.append(recorder.measure("tier 1, first request (cache miss)", page((1, False))))
            results.append(
                recorder.measure("tier 1, same token again (cache hit)", page((1, False)))
            )
            clock.advance(settings.access_ttl)
            results.append(recorder.measure("tier 2 (renew)", page((2, False))))
            results.append(recorder.measure("tier 2, same old token again", page((2, False))))
            clock.advance(settings.token_ttl - settings.access_ttl)
            results.append(recorder.measure("tier 3 (rotate)", page((3, True))))
            return results
