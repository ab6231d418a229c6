"""The subject server seen as a browser sees it: forms with their CSRF token, cookies,
and the test clock (``APP_TEST_CLOCK=1``) to move its time."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

import httpx

from app.clock import from_iso

__all__ = ["AppClient", "cookie_from", "new_password"]


def new_password() -> str:
    return "bench " + secrets.token_urlsafe(18)


def cookie_from(response: httpx.Response, name: str) -> str | None:
    """The value a ``Set-Cookie`` of ``response`` gives cookie ``name`` (None if none)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            return jar[name].value
    return None


class AppClient:
    def __init__(self, base_url: str, *, auth_cookie: str = "__Host-auth") -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60)
        self.auth_cookie = auth_cookie
        self.csrf_cookie = auth_cookie.replace("auth", "csrf")
        self.csrf = self._csrf_token()

    def close(self) -> None:
        self.http.close()

    def _csrf_token(self) -> str:
        response = self.http.get("/login")
        token = cookie_from(response, self.csrf_cookie)
        if token is None:
            raise RuntimeError(f"GET /login set no {self.csrf_cookie} cookie")
        return token

    @property
    def csrf_header(self) -> str:
        """``Cookie`` part every request carries, as a browser's steady state would."""
        return f"{self.csrf_cookie}={self.csrf}"

    def cookie(self, token: str) -> str:
        return f"{self.csrf_header}; {self.auth_cookie}={token}"

    def _post_form(self, path: str, fields: dict[str, str]) -> str:
        response = self.http.post(
            path,
            data={**fields, "_csrf_token": self.csrf},
            headers={"Cookie": self.csrf_header},
        )
        token = cookie_from(response, self.auth_cookie)
        if response.status_code != 303 or not token:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return token

    def register(self, email: str, password: str) -> str:
        fields = {"email": email, "password": password, "password_confirm": password}
        return self._post_form("/register", fields)

    def login(self, email: str, password: str) -> str:
        return self._post_form("/login", {"email": email, "password": password})

    def now(self) -> int:
        return from_iso(self.http.get("/_test/clock").json()["now"])

    def advance(self, seconds: int) -> int:
        response = self.http.post("/_test/clock", json={"advance": seconds})
        response.raise_for_status()
        return from_iso(response.json()["now"])

    def page(self, path: str, token: str | None) -> httpx.Response:
        cookie = self.cookie(token) if token else self.csrf_header
        return self.http.get(path, headers={"Cookie": cookie})
