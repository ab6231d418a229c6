"""For the hardening tests: a second browser, a snapshot of the tables, the app's own
token key (so a test can build a token whose cryptography is right and only one header
or claim is hostile), and one app shared by a module of read-only attacks.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwe
from joserfc.jwk import OctKey
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.main import create_app
from app.security.keys import parse_keyset
from tests.support.browser import Browser, csrf_token
from tests.support.database import Database
from tests.support.settings import BASE_URL, START, make_settings

__all__ = [
    "ALICE",
    "COOKIE",
    "CSRF_COOKIE",
    "LEAKS",
    "AppKey",
    "Snapshot",
    "assert_never_a_server_error",
    "assert_plain_page",
    "b64",
    "fresh_csrf",
    "other_browser",
    "page_token",
    "public_ids",
    "shared_app",
]

ALICE = "alice@example.com"
COOKIE = "__Host-auth"
CSRF_COOKIE = "__Host-csrf"
# What must never reach a visitor, whatever went wrong.
LEAKS = ("Traceback", 'File "', "Exception", "sqlalchemy", "joserfc", "litestar.", "Error:")


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def page_token(client: TestClient[Litestar], page: str = "/login") -> str:
    """The CSRF token a form page hands this browser (its cookie is set on the way)."""
    response = client.get(page)
    assert response.status_code == 200, response.text
    return csrf_token(response.text)


def fresh_csrf(client: TestClient[Litestar]) -> str:
    """A valid token of *another* browser: the page is loaded with an empty cookie jar,
    and this browser's cookies are put back afterwards."""
    saved = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies()
    try:
        return page_token(client)
    finally:
        client.cookies = saved


def other_browser(client: TestClient[Litestar]) -> Browser:
    """Another browser on the running app (its own cookie jar; no second lifespan)."""
    return Browser(client).another_device()


def assert_plain_page(response: Any, status: int, *phrases: str) -> None:
    """An HTML answer with ``status``, the given plain words, and no internals."""
    assert response.status_code == status, response.text
    assert response.headers.get("content-type", "").startswith("text/html"), response.headers
    for phrase in phrases:
        assert phrase in response.text, (phrase, response.text)
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)


def assert_never_a_server_error(response: Any) -> None:
    assert response.status_code < 500, response.text
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)


class Snapshot:
    """Every row of the tables a state change would touch, to compare before and after."""

    TABLES = ("users", "sessions")

    def __init__(self, db: Database) -> None:
        self.rows = {table: sorted(db.rows(f"SELECT * FROM {table}")) for table in self.TABLES}  # noqa: S608

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and self.rows == other.rows

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Snapshot({self.rows!r})"


class AppKey:
    """The app's current token key, read from its key file as an operator would."""

    def __init__(self, settings: Settings) -> None:
        text = (Path(settings.data_dir) / "keys.json").read_text(encoding="utf-8")
        keyset = parse_keyset(text)
        self.key = keyset.keys[-1]
        self.kid = str(self.key.kid)
        self.raw: bytes = self.key.raw_value  # type: ignore[assignment]
        self._keyset = keyset

    def encrypt(self, plaintext: bytes | str, **header: Any) -> str:
        """A compact JWE the app's key decrypts; ``header`` adds or overrides fields."""
        protected = {"alg": "dir", "enc": "A256GCM", "kid": self.kid, **header}
        payload = plaintext.encode() if isinstance(plaintext, str) else plaintext
        algorithms = [str(protected["alg"]), str(protected["enc"]), "DEF"]
        registry = jwe.JWERegistry(algorithms=algorithms, strict_check_header=False)
        key = self.key if protected["alg"] == "dir" else OctKey.import_key(self.raw)
        return jwe.encrypt_compact(protected, payload, key, registry=registry)

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a token the app issued (the session secret is ``rt``)."""
        registry = jwe.JWERegistry(algorithms=["dir", "A256GCM"])
        obj = jwe.decrypt_compact(token, self._keyset, registry=registry)
        assert obj.plaintext is not None
        claims = json.loads(obj.plaintext)
        assert isinstance(claims, dict)
        return claims


def public_ids(html: str) -> list[str]:
    return re.findall(r'data-session="([^"]+)"', html)


@contextmanager
def shared_app(
    tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Iterator[tuple[Litestar, TestClient[Litestar], Settings]]:
    """One app for a whole module of read-only tests (a table of attacks that must change
    nothing): starting an app per row would cost more than the rows themselves."""
    settings = make_settings(tmp_path_factory.mktemp("app"), **overrides)
    app = create_app(settings, clock=TestClock(START))
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield app, test_client, settings
