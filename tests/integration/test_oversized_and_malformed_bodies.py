"""Oversized and malformed requests: refused with a 4xx, never a 500, nothing created."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from tests.support.browser import auth_set_cookie, csrf_token
from tests.support.database import Database
from tests.support.settings import PASSWORD, make_settings

ALICE = "alice@example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, max_body=1024)


def _token(client: TestClient[Litestar], page: str = "/register") -> str:
    return csrf_token(client.get(page).text)


def test_a_body_within_the_limit_is_served(client: TestClient[Litestar], db: Database) -> None:
    data = {"email": ALICE, "password": PASSWORD, "_csrf_token": _token(client)}
    response = client.post("/register", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert db.count("users") == 1


@pytest.mark.parametrize("path", ["/register", "/login"])
def test_a_body_over_the_limit_gets_413_and_creates_nothing(
    client: TestClient[Litestar], db: Database, path: str
) -> None:
    password = PASSWORD + "x" * 1100
    data = {"email": ALICE, "password": password, "password_confirm": password}
    response = client.post(
        path, data={**data, "_csrf_token": _token(client)}, follow_redirects=False
    )

    assert response.status_code == 413, response.text
    assert auth_set_cookie(response) is None
    assert db.count("users") == 0
    assert db.count("sessions") == 0


def test_a_streamed_body_over_the_limit_without_content_length_gets_413(
    client: TestClient[Litestar], db: Database
) -> None:
    token = _token(client)

    def chunks() -> Iterator[bytes]:
        yield f"_csrf_token={token}&email=alice%40example.com&password=".encode()
        for _ in range(20):
            yield b"x" * 100

    response = client.post(
        "/register",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )

    assert response.status_code == 413, response.text
    assert db.count("users") == 0


def _post(client: TestClient[Litestar], path: str, **kwargs: Any) -> Any:
    return client.post(path, follow_redirects=False, **kwargs)


MALFORMED: list[Any] = [
    pytest.param({}, id="only-the-csrf-token"),
    pytest.param({"email": ALICE}, id="no-password"),
    pytest.param({"password": PASSWORD, "password_confirm": PASSWORD}, id="no-email"),
    pytest.param({"email": [ALICE, "bob@example.com"], "password": PASSWORD}, id="email-repeated"),
    pytest.param({"email": ALICE, "password": [PASSWORD, PASSWORD]}, id="password-repeated"),
    pytest.param({"email": ALICE + "\x00", "password": PASSWORD}, id="nul-in-email"),
]


@pytest.mark.parametrize("path", ["/register", "/login"])
@pytest.mark.parametrize("fields", MALFORMED)
def test_a_malformed_form_is_a_4xx_never_a_500(
    client: TestClient[Litestar], db: Database, path: str, fields: dict[str, Any]
) -> None:
    response = _post(client, path, data={**fields, "_csrf_token": _token(client)})

    assert 400 <= response.status_code < 500, response.text
    assert auth_set_cookie(response) is None
    assert db.count("users") == 0
    assert db.count("sessions") == 0


def test_a_repeated_next_is_ignored(client: TestClient[Litestar]) -> None:
    data = {"email": ALICE, "password": PASSWORD, "_csrf_token": _token(client)}
    assert _post(client, "/register", data=data).status_code == 303
    client.cookies.clear()

    data = {"email": ALICE, "password": PASSWORD, "next": ["/a", "//evil.com"]}
    response = _post(client, "/login", data={**data, "_csrf_token": _token(client, "/login")})

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


@pytest.mark.parametrize("path", ["/register", "/login"])
def test_a_json_body_to_a_form_is_a_4xx(
    client: TestClient[Litestar], db: Database, path: str
) -> None:
    token = _token(client)
    body = {"email": ALICE, "password": PASSWORD, "password_confirm": PASSWORD}

    with_header = _post(client, path, json=body, headers={"x-csrftoken": token})
    in_the_body = _post(client, path, json={**body, "_csrf_token": token})

    for response in (with_header, in_the_body):
        assert 400 <= response.status_code < 500, response.text
        assert auth_set_cookie(response) is None
    assert db.count("users") == 0


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param("text/plain", b"email=alice%40example.com", id="text-plain"),
        pytest.param("application/x-www-form-urlencoded", b"email=%ff%fe&password=%", id="bad-pct"),
        pytest.param("application/x-www-form-urlencoded", b"\xff\xfe\x00=\x01", id="binary"),
        pytest.param("multipart/form-data; boundary=zzz", b"--zzz\r\nbroken", id="bad-multipart"),
        pytest.param("multipart/form-data", b"no boundary at all", id="multipart-no-boundary"),
    ],
)
def test_an_undecodable_body_is_a_4xx(
    client: TestClient[Litestar], db: Database, content_type: str, content: bytes
) -> None:
    token = _token(client)
    for path in ("/register", "/login"):
        response = _post(
            client,
            path,
            content=content,
            headers={"Content-Type": content_type, "x-csrftoken": token},
        )
        assert 400 <= response.status_code < 500, (path, response.text)
    assert db.count("users") == 0


def test_a_file_where_the_email_should_be_is_a_4xx(
    client: TestClient[Litestar], db: Database
) -> None:
    response = _post(
        client,
        "/register",
        data={"password": PASSWORD, "_csrf_token": _token(client)},
        files={"email": ("email.txt", b"alice@example.com", "text/plain")},
    )
    assert 400 <= response.status_code < 500, response.text
    assert db.count("users") == 0
