"""The app seen as a browser sees it: forms with their CSRF token, and cookies."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

import httpx

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
    """``local_address``: the client address the requests come from (any of 127.0.0.0/8),
    so that several clients on this machine are several clients to the app's throttles."""

    def __init__(
        self, base_url: str, *, auth_cookie: str = "__Host-auth", local_address: str | None = None
    ) -> None:
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        self.http = httpx.Client(
            base_url=base_url, follow_redirects=False, timeout=60, transport=transport
        )
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

    def post(self, path: str, fields: dict[str, str], token: str | None = None) -> httpx.Response:
        return self.http.post(
            path,
            data={**fields, "_csrf_token": self.csrf},
            headers={"Cookie": self.cookie(token) if token else self.csrf_header},
        )

    def _signed_in(self, path: str, fields: dict[str, str]) -> str:
        response = self.post(path, fields)
        token = cookie_from(response, self.auth_cookie)
        if response.status_code != 303 or not token:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return token

    def register(self, email: str, password: str) -> str:
        fields = {"email": email, "password": password, "password_confirm": password}
        return self._signed_in("/register", fields)

    def login(self, email: str, password: str) -> str:
        return self._signed_in("/login", {"email": email, "password": password})

    def logout(self, token: str) -> None:
        response = self.post("/logout", {}, token)
        if response.status_code != 303:
            raise RuntimeError(f"POST /logout: {response.status_code} {response.text[:300]}")

    def page(self, path: str, token: str | None) -> httpx.Response:
        cookie = self.cookie(token) if token else self.csrf_header
        return self.http.get(path, headers={"Cookie": cookie})
