"""A person at a browser, through Litestar's test client: loads a form, posts it back."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html import unescape
from typing import Any, TypeVar

import httpx
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.settings import PASSWORD

__all__ = [
    "COOKIE",
    "CSRF_COOKIE",
    "HTMX",
    "Browser",
    "assert_deletes_cookie",
    "auth_set_cookie",
    "cookie_attributes",
    "cookie_value",
    "csrf_token",
    "field_error",
    "hidden_fields",
    "in_app_loop",
    "present",
    "set_cookie_headers",
    "tab",
]

T = TypeVar("T")

COOKIE = "__Host-auth"
CSRF_COOKIE = "__Host-csrf"
HTMX = {"HX-Request": "true"}
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF input"
    return match.group(1)


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page's form: what a client echoes back as they are."""
    return {name: unescape(value) for name, value in HIDDEN_INPUT.findall(html)}


class Browser:
    """What a person does through the forms (loads the form, posts it back)."""

    def __init__(self, client: TestClient[Litestar], cookie_name: str = COOKIE) -> None:
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

    def another_device(self) -> Browser:
        """Another browser on the same running app: its own cookie jar, this one's event
        loop (the app is started once, by the first client)."""
        other = TestClient(self.client.app, base_url=str(self.client.base_url))
        other.blocking_portal = self.client.blocking_portal
        return Browser(other, self.cookie_name)

    def signed_in_with(self, token: str | None) -> bool:
        """Would the dashboard serve a browser that presents exactly this cookie?"""
        present(self.client, token, self.cookie_name)
        return self.client.get("/dashboard", follow_redirects=False).status_code == 200


def present(client: TestClient[Litestar], token: str | None, name: str = COOKIE) -> None:
    """Make the client carry exactly this auth cookie (or none), as a browser would."""
    client.cookies.clear()
    if token is not None:
        client.cookies.set(name, token)


def set_cookie_headers(response: Any) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k.lower() == "set-cookie"]


def auth_set_cookie(response: Any, name: str = COOKIE) -> str | None:
    matches = [h for h in set_cookie_headers(response) if h.startswith(f"{name}=")]
    assert len(matches) <= 1, matches
    return matches[0] if matches else None


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


def assert_deletes_cookie(response: Any, name: str = COOKIE, *, secure: bool = True) -> None:
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


def field_error(html: str, name: str) -> str | None:
    """The error shown next to field ``name`` (linked to it by aria-describedby), if any:
    its words, without the visually hidden "Error:" prefix."""
    match = re.search(rf'<p class="error" id="{re.escape(name)}-error">(.*?)</p>', html, re.S)
    if match is None:
        return None
    field = re.search(rf'<input\b[^>]*\bid="{re.escape(name)}"[^>]*>', html, re.S)
    assert field, f"{name}: no input for the error"
    described = re.search(r'\baria-describedby="([^"]*)"', field.group(0))
    linked = described.group(1).split() if described else []
    assert f"{name}-error" in linked, f"{name}: error not linked to the input"
    text = unescape(re.sub(r"<[^>]*>", "", match.group(1))).strip()
    return text.removeprefix("Error:").strip()


def in_app_loop(client: TestClient[Litestar], job: Callable[[], Awaitable[T]]) -> T:
    """Run ``job`` on the running app's own event loop (its connections live there)."""
    return client.blocking_portal.call(job)


async def tab(
    client: TestClient[Litestar],
    cookies: dict[str, str] | httpx.Cookies | None = None,
    *,
    address: str = "127.0.0.1",
) -> httpx.AsyncClient:
    """A browser tab of its own (its own cookie jar, its own client ``address``) on the
    app, for concurrent requests or other networks; use inside :func:`in_app_loop`."""
    transport = httpx.ASGITransport(app=client.app, client=(address, 50000))
    return httpx.AsyncClient(
        transport=transport, base_url=str(client.base_url), cookies=cookies or {}
    )
