"""The auth cookie, read from raw ``Set-Cookie`` headers as a browser would."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.clock import TestClock
from tests.support.apps import serve
from tests.support.browser import (
    Browser,
    assert_deletes_cookie,
    auth_set_cookie,
    cookie_attributes,
    cookie_value,
    set_cookie_headers,
)
from tests.support.settings import make_settings

DAY = 86400
IDLE = 14 * DAY
B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _assert_auth_cookie(header: str, *, max_age: int) -> None:
    assert header.startswith("__Host-auth=")
    attributes = cookie_attributes(header)
    assert "httponly" in attributes, header
    assert attributes.get("samesite", "").lower() in {"lax", "strict"}, header
    assert attributes.get("path") == "/", header
    assert "secure" in attributes, header
    assert "domain" not in attributes, header
    assert attributes.get("max-age") == str(max_age), header


@pytest.mark.parametrize("how", ["register", "login"])
def test_signing_in_sets_exactly_one_auth_cookie_with_its_attributes(
    visitor: Browser, how: str
) -> None:
    response = visitor.register()
    if how == "login":
        visitor.client.cookies.clear()
        response = visitor.login()
    assert response.status_code == 303, response.text

    headers = set_cookie_headers(response)
    carrying_a_token = [h for h in headers if cookie_value(h).count(".") == 4]
    assert len(carrying_a_token) == 1, headers
    header = auth_set_cookie(response)
    assert header == carrying_a_token[0]
    _assert_auth_cookie(header, max_age=IDLE)


def test_the_cookie_value_is_a_compact_jwe_that_does_not_show_its_claims(
    visitor: Browser,
) -> None:
    visitor.register("alice@example.com")
    token = visitor.token
    assert token

    parts = token.split(".")
    assert len(parts) == 5
    assert all(B64URL.match(part) for part in parts), parts
    assert all(parts[i] for i in (0, 2, 3, 4))  # only the key part is empty with alg=dir
    header = json.loads(_b64decode(parts[0]))
    assert header["alg"] == "dir"
    assert header["enc"] == "A256GCM"
    assert header.get("kid")
    for part in parts[1:]:
        assert b"alice" not in _b64decode(part)
    assert "alice" not in token


def test_renewed_and_rotated_cookies_keep_the_attributes(
    visitor: Browser, clock: TestClock
) -> None:
    visitor.register()
    clock.advance(3600)  # tier 2
    renewed = auth_set_cookie(visitor.client.get("/dashboard", follow_redirects=False))
    assert renewed is not None
    _assert_auth_cookie(renewed, max_age=IDLE - 3600)

    clock.advance(DAY)  # tier 3
    rotated = auth_set_cookie(visitor.client.get("/dashboard", follow_redirects=False))
    assert rotated is not None
    _assert_auth_cookie(rotated, max_age=IDLE)


def test_max_age_is_capped_by_the_absolute_end_of_the_session(
    visitor: Browser, clock: TestClock
) -> None:
    """Idle 14 d is renewed by each rotation, but never past 30 d from login."""
    visitor.register()
    expected = {10 * DAY: IDLE, 20 * DAY: 10 * DAY, 29 * DAY: DAY, 30 * DAY - 1: 1}
    start = clock.now()
    for elapsed, max_age in expected.items():
        clock.set(start + elapsed)
        response = visitor.client.get("/dashboard", follow_redirects=False)
        assert response.status_code == 200, (elapsed, response.text)
        header = auth_set_cookie(response)
        assert header is not None
        assert cookie_attributes(header)["max-age"] == str(max_age), elapsed

    clock.set(start + 30 * DAY)
    response = visitor.client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert_deletes_cookie(response)


def test_without_secure_cookies_the_name_has_no_host_prefix_and_no_secure(
    tmp_path: Path, clock: TestClock
) -> None:
    settings = make_settings(tmp_path, cookie_secure=False)
    with serve(settings, clock, base_url="http://testserver.local") as client:
        visitor = Browser(client, cookie_name="auth")
        response = visitor.register()
        assert response.status_code == 303, response.text

        assert auth_set_cookie(response, "__Host-auth") is None
        header = auth_set_cookie(response, "auth")
        assert header is not None
        attributes: dict[str, Any] = cookie_attributes(header)
        assert "secure" not in attributes
        assert "httponly" in attributes
        assert attributes.get("path") == "/"
        assert attributes.get("samesite", "").lower() == "lax"
        assert attributes.get("max-age") == str(IDLE)
        assert not any("Secure" in h for h in set_cookie_headers(response))
        assert client.get("/dashboard", follow_redirects=False).status_code == 200

        logout = visitor.logout()
        assert logout.status_code == 303
        assert_deletes_cookie(logout, "auth", secure=False)
