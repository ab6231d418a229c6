"""Malformed requests that once gave a 500 and a traceback: a multipart field that is not
text and a control character in the path are a plain 400, and a client that hangs up mid
body is one quiet INFO line, never an error. (Red-team finding: Low.)
"""

from __future__ import annotations

import logging

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import csrf_token
from tests.support.hostile import assert_plain_page

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


def _multipart(client: TestClient[Litestar], part: bytes) -> httpx.Response:
    token = csrf_token(client.get("/login").text)
    boundary = "x-boundary"
    body = (
        f"--{boundary}\r\n".encode()
        + part
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n'
        f"{token}\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/login",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


@pytest.mark.parametrize(
    "part",
    [
        pytest.param(
            b'Content-Disposition: form-data; name="email"\r\n\r\n\xff\xfe\xfa', id="not UTF-8"
        ),
        pytest.param(
            b'Content-Disposition: form-data; name="email"\r\n'
            b"Content-Type: text/plain; charset=klingon\r\n\r\nalice",
            id="an unknown charset",
        ),
    ],
)
def test_a_multipart_field_that_is_not_text_is_a_400(
    client: TestClient[Litestar], part: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = _multipart(client, part)
    assert_plain_page(response, 400, "not UTF-8")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/static/%00", "/static/app.css%00.js", "/login%0a"])
def test_a_control_character_in_the_path_is_a_400(
    client: TestClient[Litestar], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.get(path)
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_client_that_hangs_up_mid_body_is_one_quiet_line(
    app: Litestar, client: TestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    token = csrf_token(client.get("/login").text)

    async def hang_up() -> None:
        sent = []

        async def receive() -> dict[str, object]:
            if not sent:
                sent.append(1)
                return {"type": "http.request", "body": b"email=alice", "more_body": True}
            return {"type": "http.disconnect"}

        async def send(_: object) -> None:
            return None

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": "/login",
            "raw_path": b"/login",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver.local"),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"x-csrftoken", token.encode()),
                (b"cookie", f"__Host-csrf={client.cookies.get('__Host-csrf')}".encode()),
            ],
            "client": ("127.0.0.1", 1234),
            "server": ("testserver.local", 443),
        }
        await app(scope, receive, send)  # type: ignore[arg-type]

    with caplog.at_level(logging.INFO):
        client.blocking_portal.call(hang_up)
    gone = [r for r in caplog.records if "client_disconnected" in r.getMessage()]
    assert len(gone) == 1
    assert gone[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
