"""The app on a fresh SQLite file per test, a test clock, cheap argon2, Litestar's client.

The base URL is https so that ``Secure`` / ``__Host-`` cookies travel as in a browser.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from html import unescape
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

    def register(
        self,
        email: str = "alice@example.com",
        password: str = PASSWORD,
        *,
        headers: dict[str, str] | None = None,
    ) -> Any:
        return self.post_form(
            "/register",
            {"email": email, "password": password, "password_confirm": password},
            follow_redirects=False,
            headers=headers,
        )

    def login(
        self,
        email: str = "alice@example.com",
        password: str = PASSWORD,
        *,
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> Any:
        """``extra`` are more form fields (``next=...``); ``headers`` go on the POST."""
        return self.post_form(
            "/login",
            {"email": email, "password": password, **extra},
            follow_redirects=False,
            headers=headers,
        )

    def logout(self, *, headers: dict[str, str] | None = None) -> Any:
        return self.post_form(
            "/logout", {}, form_page="/login", follow_redirects=False, headers=headers
        )

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


# -- helpers shared by the integration tests ------------------------------------------

HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's form: what a client echoes back as they are."""
    return {name: unescape(value) for name, value in HIDDEN_INPUT.findall(html)}


def cookie_value(header: str) -> str:
    """The value of a raw ``Set-Cookie`` header."""
    return header.split(";", 1)[0].split("=", 1)[1]


def cookie_attributes(header: str) -> dict[str, str]:
    """The attributes of a raw ``Set-Cookie`` header, names lower-cased ('' for flags)."""
    attributes: dict[str, str] = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        assert name.lower() not in attributes, f"{name} twice in {header!r}"
        attributes[name.lower()] = value
    return attributes


def assert_deletes_cookie(response: Any, name: str = "__Host-auth", *, secure: bool = True) -> None:
    """The response deletes the auth cookie with the attributes it was set with."""
    header = auth_set_cookie(response, name)
    assert header is not None, set_cookie_headers(response)
    assert cookie_value(header) == ""
    attributes = cookie_attributes(header)
    assert attributes.get("max-age") == "0", header
    assert attributes.get("path") == "/", header
    assert attributes.get("samesite", "").lower() == "lax", header
    assert "httponly" in attributes, header
    assert ("secure" in attributes) is secure, header
    assert "domain" not in attributes, header


@dataclass
class Database:
    """Read the app's SQLite file directly, as an operator would."""

    path: Path

    @classmethod
    def of(cls, settings: Settings) -> Database:
        return cls(Path(settings.data_dir) / "app.db")

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.path)) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: Any) -> None:
        with closing(sqlite3.connect(self.path)) as connection, connection:
            connection.execute(sql, params)

    def count(self, table: str) -> int:
        return int(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608

    def session(self) -> dict[str, Any]:
        """The one session row."""
        connection = sqlite3.connect(self.path)
        connection.row_factory = sqlite3.Row
        with closing(connection):
            found = connection.execute("SELECT * FROM sessions").fetchall()
        assert len(found) == 1, found
        return dict(found[0])


@pytest.fixture
def db(settings: Settings, client: TestClient[Litestar]) -> Database:
    return Database.of(settings)


@contextmanager
def serve(
    settings: Settings, clock: TestClock, base_url: str = BASE_URL
) -> Iterator[TestClient[Litestar]]:
    """Another app (other settings, or a restart) on the given clock."""
    with TestClient(create_app(settings, clock=clock), base_url=base_url) as test_client:
        yield test_client


HTMX = {"HX-Request": "true"}


def present(client: TestClient[Litestar], token: str | None, name: str = "__Host-auth") -> None:
    """Make the client carry exactly this auth cookie (or none), as a browser would."""
    client.cookies.clear()
    if token is not None:
        client.cookies.set(name, token)


def field_error(html: str, name: str) -> str | None:
    """The error shown next to field ``name`` (linked to it by aria-describedby), if any."""
    match = re.search(rf'<p class="error" id="{re.escape(name)}-error">([^<]*)</p>', html)
    if match is None:
        return None
    assert f'aria-describedby="{name}-error"' in html, f"{name}: error not linked to the input"
    return unescape(match.group(1))
