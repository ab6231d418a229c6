"""What static/passkeys.js does, for the tests: JSON with the page's CSRF token in the
header, the options in, a software authenticator's answer out."""

from __future__ import annotations

from typing import Any

from tests.support.authenticator import SoftAuthenticator
from tests.support.browser import Browser, csrf_token

__all__ = ["add_passkey", "post_json", "sign_in_with_passkey"]


def post_json(browser: Browser, path: str, body: dict[str, Any] | None = None) -> Any:
    token = csrf_token(browser.client.get("/login").text)
    return browser.client.post(
        path, json=body or {}, headers={"X-CSRFToken": token}, follow_redirects=False
    )


def add_passkey(
    browser: Browser, phone: SoftAuthenticator, name: str = "Phone", **knobs: Any
) -> Any:
    options = post_json(browser, "/account/passkeys/options")
    assert options.status_code == 200, options.text
    credential = phone.create(options.json()["options"], **knobs)
    return post_json(browser, "/account/passkeys", {"name": name, "credential": credential})


def sign_in_with_passkey(
    browser: Browser, phone: SoftAuthenticator, next_path: str = "", **knobs: Any
) -> Any:
    options = post_json(browser, "/login/passkey/options")
    assert options.status_code == 200, options.text
    assertion = phone.get(options.json()["options"], **knobs)
    return post_json(browser, "/login/passkey", {"credential": assertion, "next": next_path})
