"""The logs (one structured line per auth event) never contain a password, the auth cookie,
a token or a part of one, the session secret (the token's ``rt`` claim) or a CSRF token.

Everything the app writes is captured - the logging records at DEBUG and whatever reaches
stdout/stderr - through a whole life: register, sign in (right and wrong), a renewed and a
rotated request (tiers 2 and 3), a password change, sign out, and a replay of the old token.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from tests.support.browser import (
    Browser,
    auth_set_cookie,
    cookie_value,
    present,
    set_cookie_headers,
)
from tests.support.hostile import ALICE, CSRF_COOKIE, AppKey
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play

WRONG = "a wrong password, long enough"
NEW_PASSWORD = "a brand new passphrase here"
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"|"x-csrftoken": "([^"]+)"')


class Secrets:
    """Every secret value that crossed the wire during the test."""

    def __init__(self, key: AppKey) -> None:
        self.key = key
        self.values: set[str] = {PASSWORD, WRONG, NEW_PASSWORD}

    def token(self, token: str) -> None:
        self.values.add(token)
        self.values.update(part for part in token.split(".") if len(part) >= 16)
        claims = self.key.claims(token)
        self.values.add(claims["rt"])  # the session secret

    def csrf(self, token: str) -> None:
        self.values.add(token)
        self.values.add(token[:64])  # its random half (the rest is an HMAC of it)

    def seen(self, response: Any) -> Any:
        """Collect the secrets of one response: auth cookie, CSRF cookie and form tokens."""
        header = auth_set_cookie(response)
        if header is not None and cookie_value(header):
            self.token(cookie_value(header))
        for set_cookie in set_cookie_headers(response):
            if set_cookie.startswith(f"{CSRF_COOKIE}=") and cookie_value(set_cookie):
                self.csrf(cookie_value(set_cookie))
        for form_token, header_token in CSRF_INPUT.findall(response.text):
            self.csrf(form_token or header_token)
        return response


def test_no_secret_reaches_the_logs(
    client: TestClient[Litestar],
    visitor: Browser,
    clock: TestClock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    app_key: AppKey,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = Secrets(app_key)

    secrets.seen(client.get("/register"))
    assert secrets.seen(visitor.register(ALICE)).status_code == 303
    first_token = visitor.token
    assert first_token is not None
    client.cookies.clear()
    secrets.seen(client.get("/login"))
    assert secrets.seen(visitor.login(ALICE, WRONG)).status_code == 401
    assert secrets.seen(visitor.login("nobody@example.com", WRONG)).status_code == 401
    assert secrets.seen(visitor.login(ALICE, PASSWORD)).status_code == 303

    clock.advance(3600)  # past the access window: tier 2 renews the token
    renewed = secrets.seen(client.get("/dashboard"))
    assert renewed.status_code == 200, renewed.text
    assert auth_set_cookie(renewed), renewed.headers
    clock.advance(86400)  # past the token: tier 3 checks the session and rotates it
    rotated = secrets.seen(client.get("/dashboard"))
    assert rotated.status_code == 200, rotated.text
    assert auth_set_cookie(rotated), rotated.headers

    changed = visitor.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert secrets.seen(changed).status_code == 303, changed.text
    wrong_current = visitor.post_form(
        "/account/password",
        {"current_password": WRONG, "new_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert secrets.seen(wrong_current).status_code == 422
    secrets.seen(client.get("/sessions"))
    last_token = visitor.token
    assert last_token is not None
    assert secrets.seen(visitor.logout()).status_code == 303

    present(client, last_token)  # the signed-out token, replayed: refused, and logged
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    present(client, first_token)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    forged = client.post(  # a refused CSRF post carries a token in its body
        "/login",
        data={"email": ALICE, "password": NEW_PASSWORD, "_csrf_token": "f" * 128},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    secrets.csrf("f" * 128)

    captured = capsys.readouterr()
    records = caplog.records
    text = "\n".join(
        [
            caplog.text,
            *(record.getMessage() for record in records),
            *(repr(record.__dict__) for record in records),
            captured.out,
            captured.err,
        ]
    )
    events = " ".join(record.getMessage() for record in records)
    for event in ("registered", "signed_in", "sign_in_failed", "password_changed", "signed_out"):
        assert f"event='{event}'" in events, f"no {event} event logged: the capture is blind"
    leaked = sorted(secret for secret in secrets.values if secret in text)
    assert not leaked, f"secrets in the logs: {leaked}"
    assert len(secrets.values) > 10, secrets.values  # the collection did see the secrets
