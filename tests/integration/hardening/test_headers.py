"""Security headers and markup, read from the raw responses.

Every HTML response carries a strict CSP (no inline script or style anywhere, so it needs no
``unsafe-*``), nosniff, a same-origin referrer, no framing, HSTS when cookies are secure,
``no-store`` where the answer is personal or moves the auth cookie, ``Vary: HX-Request`` where
a URL serves a page or a fragment, and ``Clear-Site-Data`` on logout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from tests.support.apps import serve
from tests.support.browser import HTMX, Browser, auth_set_cookie, present
from tests.support.hostile import ALICE, other_browser
from tests.support.settings import PASSWORD, make_settings

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HTMX_CONFIG = {
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    "selfRequestsOnly": True,
    "historyCacheSize": 0,
}
PUBLIC_PAGES = ["/login", "/register", "/login?next=%2Fdashboard"]
GUARDED_PAGES = ["/dashboard", "/sessions", "/account/password"]
ERROR_PAGES = {"/no-such-page": 404, "/logout": 405}


def _csp(response: Any) -> dict[str, str]:
    header = response.headers.get("content-security-policy", "")
    directives: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            assert name not in directives, f"{name} twice in {header!r}"
            directives[name] = value.strip()
    return directives


def assert_html_security_headers(response: Any, *, hsts: bool = True) -> None:
    assert response.headers.get("content-type", "").startswith("text/html"), response.headers
    csp = _csp(response)
    for name, value in CSP_DIRECTIVES.items():
        assert csp.get(name) == value, (name, response.headers.get("content-security-policy"))
    raw_csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in raw_csp
    assert "unsafe-eval" not in raw_csp
    assert "unsafe-hashes" not in raw_csp
    assert "*" not in raw_csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "same-origin"
    assert response.headers.get("x-frame-options") == "DENY"
    assert ("strict-transport-security" in response.headers) is hsts, response.headers
    if hsts:
        assert re.fullmatch(
            r"max-age=(\d+)(; includeSubDomains)?(; preload)?",
            response.headers["strict-transport-security"],
        )
        age = int(response.headers["strict-transport-security"].split(";")[0].split("=")[1])
        assert age >= 31536000  # a year at least
    assert "server" not in response.headers, response.headers


def assert_no_inline_code(html: str) -> None:
    """The CSP forbids inline script and style: the markup must not need them."""
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script\s*>", html, re.S | re.I):
        assert re.search(r"\bsrc=\"/static/", attributes), f"inline script: {attributes!r}"
        assert not body.strip(), f"a script with src has a body: {body!r}"
    assert not re.search(r"<style\b", html, re.I), "a <style> element"
    assert not re.search(r"\sstyle\s*=", html, re.I), "a style= attribute"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "an inline event handler"
    assert not re.search(r"\shx-on[:-]", html, re.I), "an hx-on handler (needs eval)"
    assert "javascript:" not in html.lower()


def _vary(response: Any) -> set[str]:
    values = response.headers.get_list("vary")
    return {token.strip().lower() for value in values for token in value.split(",")}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_public_pages(client: TestClient[Litestar], path: str, htmx: bool) -> None:
    response = client.get(path, headers=HTMX if htmx else None)
    assert response.status_code == 200, response.text
    assert_html_security_headers(response)
    assert_no_inline_code(response.text)
    assert "hx-request" in _vary(response)


@pytest.mark.parametrize("path", GUARDED_PAGES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_guarded_pages(alice: Browser, path: str, htmx: bool) -> None:
    response = alice.client.get(path, headers=HTMX if htmx else None)
    assert response.status_code == 200, response.text
    assert_html_security_headers(response)
    assert_no_inline_code(response.text)
    assert response.headers.get("cache-control") == "no-store"
    assert "hx-request" in _vary(response)


@pytest.mark.parametrize("path", ERROR_PAGES)
def test_error_pages(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == ERROR_PAGES[path], response.text
    assert_html_security_headers(response)
    assert_no_inline_code(response.text)


def test_the_refused_csrf_page(client: TestClient[Litestar]) -> None:
    response = client.post("/login", data={"email": ALICE}, follow_redirects=False)
    assert response.status_code == 403, response.text
    assert_html_security_headers(response)
    assert_no_inline_code(response.text)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_form_errors(visitor: Browser, htmx: bool) -> None:
    headers = HTMX if htmx else None
    for response in (
        visitor.login(ALICE, "wrong password here", headers=headers),
        visitor.register("not an email", headers=headers),
    ):
        assert 400 <= response.status_code < 500, response.text
        assert_html_security_headers(response)
        assert_no_inline_code(response.text)
        assert "hx-request" in _vary(response)


def test_the_password_strength_fragment(visitor: Browser) -> None:
    response = visitor.post_form(
        "/password-strength", {"password": "correct horse battery"}, form_page="/register"
    )
    assert response.status_code == 200, response.text
    assert_html_security_headers(response)
    assert_no_inline_code(response.text)
    assert response.headers.get("cache-control") == "no-store"


def test_no_hsts_when_cookies_are_not_secure(tmp_path: Path, clock: TestClock) -> None:
    settings = make_settings(tmp_path, cookie_secure=False)
    with serve(settings, clock, base_url="http://testserver.local") as client:
        for path in ("/login", "/register", "/no-such-page"):
            response = client.get(path)
            assert_html_security_headers(response, hsts=False)


def test_no_server_header_anywhere(alice: Browser) -> None:
    client = alice.client
    for method, path in [
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/static/app.css"),
        ("GET", "/_test/clock"),
        ("GET", "/dashboard"),
        ("GET", "/nope"),
        ("POST", "/login"),
        ("OPTIONS", "/login"),
        ("HEAD", "/login"),
    ]:
        response = client.request(method, path, follow_redirects=False)
        assert "server" not in response.headers, (path, response.headers)
        assert response.headers.get("x-content-type-options") == "nosniff", (path, response)


def test_the_htmx_config_forbids_eval_and_inline_code(client: TestClient[Litestar]) -> None:
    html = client.get("/login").text
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match, "no htmx-config meta"
    config = json.loads(unescape(match.group(1)))
    for name, value in HTMX_CONFIG.items():
        assert config.get(name) == value, (name, config)
    assert re.search(r'<script src="/static/vendor/htmx-[0-9.]+(\.min)?\.js"', html)


# -- Cache-Control: no-store on every response that sets or deletes the auth cookie -------


def _register(browser: Browser, _clock: TestClock) -> Any:
    return browser.register("bob@example.com")


def _register_htmx(browser: Browser, _clock: TestClock) -> Any:
    return browser.register("bob@example.com", headers=HTMX)


def _login(browser: Browser, _clock: TestClock) -> Any:
    browser.client.cookies.clear()
    return browser.login(ALICE, PASSWORD)


def _login_htmx(browser: Browser, _clock: TestClock) -> Any:
    browser.client.cookies.clear()
    return browser.login(ALICE, PASSWORD, headers=HTMX)


def _logout(browser: Browser, _clock: TestClock) -> Any:
    return browser.logout()


def _logout_htmx(browser: Browser, _clock: TestClock) -> Any:
    return browser.logout(headers=HTMX)


def _renew(browser: Browser, clock: TestClock) -> Any:  # tier 2: a new access window
    clock.advance(3600)
    return browser.client.get("/login")


def _rotate(browser: Browser, clock: TestClock) -> Any:  # tier 3: the session id rotates
    clock.advance(86400)
    return browser.client.get("/register")


def _bad_cookie_public(browser: Browser, _clock: TestClock) -> Any:
    present(browser.client, "garbage")
    return browser.client.get("/login")


def _bad_cookie_guarded(browser: Browser, _clock: TestClock) -> Any:
    present(browser.client, "garbage")
    return browser.client.get("/dashboard", follow_redirects=False)


def _bad_cookie_htmx(browser: Browser, _clock: TestClock) -> Any:
    present(browser.client, "garbage")
    return browser.client.get("/dashboard", headers=HTMX, follow_redirects=False)


def _bad_cookie_static(browser: Browser, _clock: TestClock) -> Any:
    present(browser.client, "garbage")
    return browser.client.get("/", follow_redirects=False)


def _session_expired(browser: Browser, clock: TestClock) -> Any:
    clock.advance(15 * 86400)
    return browser.client.get("/dashboard", follow_redirects=False)


COOKIE_MOVES: dict[str, Callable[[Browser, TestClock], Any]] = {
    "register": _register,
    "register-htmx": _register_htmx,
    "login": _login,
    "login-htmx": _login_htmx,
    "logout": _logout,
    "logout-htmx": _logout_htmx,
    "renewal": _renew,
    "rotation": _rotate,
    "bad-cookie-on-a-public-page": _bad_cookie_public,
    "bad-cookie-on-a-guarded-page": _bad_cookie_guarded,
    "bad-cookie-htmx": _bad_cookie_htmx,
    "bad-cookie-on-the-home-redirect": _bad_cookie_static,
    "session-expired": _session_expired,
}


@pytest.mark.parametrize("move", COOKIE_MOVES)
def test_no_store_whenever_the_auth_cookie_is_set_or_deleted(
    alice: Browser, clock: TestClock, move: str
) -> None:
    response = COOKIE_MOVES[move](alice, clock)
    assert response.status_code < 500, response.text
    assert auth_set_cookie(response) is not None, response.headers  # the move happened
    assert response.headers.get("cache-control") == "no-store", response.headers
    assert "server" not in response.headers


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_logout_clears_site_data(alice: Browser, htmx: bool) -> None:
    response = alice.logout(headers=HTMX if htmx else None)
    assert response.status_code in {200, 303}, response.text
    assert response.headers.get("clear-site-data") == '"cookies", "storage"'


def test_revoking_this_very_session_signs_out_with_no_store(alice: Browser) -> None:
    other_browser(alice.client).login(ALICE)
    page = alice.client.get("/sessions").text
    current = re.search(r'<li class="session current" data-session="([^"]+)"', page)
    assert current, page
    response = alice.post_form(
        f"/sessions/{current.group(1)}/revoke", {}, form_page="/sessions", follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert auth_set_cookie(response) is not None
    assert response.headers.get("cache-control") == "no-store"
