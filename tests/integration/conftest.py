"""The app on a fresh SQLite file per test, a test clock, cheap argon2, Litestar's client.

The base URL is https so that ``Secure`` / ``__Host-`` cookies travel as in a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event

from app.clock import TestClock
from app.config import Settings
from app.main import create_app

BASE_URL = "https://testserver.local"
START = 1_800_000_000  # 2027-01-15T08:00:00Z
PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 8,
        "argon2_parallelism": 1,
        "test_clock": True,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def clock() -> TestClock:
    return TestClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings, clock: TestClock) -> Litestar:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@dataclass
class StatementLog:
    """Every SQL statement the app's engine runs, from the moment it is reset."""

    statements: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statements.clear()

    def touching(self, table: str) -> list[str]:
        pattern = re.compile(rf"\b{table}\b", re.IGNORECASE)
        return [s for s in self.statements if pattern.search(s)]


@pytest.fixture
def statements(app: Litestar, client: TestClient[Litestar]) -> Iterator[StatementLog]:
    log = StatementLog()
    engine = app.state.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield log
    event.remove(engine, "before_cursor_execute", record)


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF input"
    return match.group(1)


class Browser:
    """What a person does through the forms (loads the form, posts it back)."""

    def __init__(self, client: TestClient[Litestar], cookie_name: str = "__Host-auth") -> None:
        self.client = client
        self.cookie_name = cookie_name

    def post_form(
        self, path: str, data: dict[str, str], *, form_page: str | None = None, **kwargs: Any
    ) -> Any:
        page = self.client.get(form_page or path)
        return self.client.post(path, data={**data, "_csrf_token": csrf_token(page.text)}, **kwargs)

    def register(self, email: str = "alice@example.com", password: str = PASSWORD) -> Any:
        return self.post_form(
            "/register",
            {"email": email, "password": password, "password_confirm": password},
            follow_redirects=False,
        )

    def login(
        self, email: str = "alice@example.com", password: str = PASSWORD, **extra: str
    ) -> Any:
        return self.post_form(
            "/login", {"email": email, "password": password, **extra}, follow_redirects=False
        )

    def logout(self) -> Any:
        return self.post_form("/logout", {}, form_page="/login", follow_redirects=False)

    @property
    def token(self) -> str | None:
        return self.client.cookies.get(self.cookie_name)


@pytest.fixture
def visitor(client: TestClient[Litestar]) -> Browser:
    return Browser(client)


def set_cookie_headers(response: Any) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]


def auth_set_cookie(response: Any, name: str = "__Host-auth") -> str | None:
    matches = [h for h in set_cookie_headers(response) if h.startswith(f"{name}=")]
    assert len(matches) <= 1, matches
    return matches[0] if matches else None
