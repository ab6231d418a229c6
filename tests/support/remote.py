"""A person at a browser, against a live server over real sockets: every request on a new
connection (with several workers, each lands on whichever process accepts it)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.browser import csrf_token
from tests.support.settings import PASSWORD

__all__ = ["AUTH", "RemoteBrowser"]

AUTH = "auth"  # the auth cookie's name with APP_COOKIE_SECURE=false


class RemoteBrowser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = httpx.Cookies()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.base_url, limits=limits, timeout=15) as client:
            client.cookies = self.cookies
            response = client.request(method, path, follow_redirects=False, **kwargs)
            self.cookies = client.cookies
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post_form(
        self,
        path: str,
        data: dict[str, str],
        *,
        form_page: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        page = self.get(form_page or path)
        assert page.status_code == 200, page.text
        fields = {**data, "_csrf_token": csrf_token(page.text)}
        return self.request("POST", path, data=fields, headers=headers)

    def register(self, email: str, password: str = PASSWORD) -> httpx.Response:
        fields = {"email": email, "password": password, "password_confirm": password}
        response = self.post_form("/register", fields)
        assert response.status_code == 303, response.text
        return response

    def login(
        self, email: str, password: str = PASSWORD, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.post_form("/login", {"email": email, "password": password}, headers=headers)

    def logout(self) -> httpx.Response:
        return self.post_form("/logout", {}, form_page="/login")

    @property
    def token(self) -> str | None:
        return self.cookies.get(AUTH)

    def with_token(self, token: str | None) -> RemoteBrowser:
        """Another browser that holds exactly this auth cookie."""
        other = RemoteBrowser(self.base_url)
        if token is not None:
            other.cookies.set(AUTH, token)
        return other

    def dashboard(self) -> httpx.Response:
        return self.get("/dashboard")


def process_of(response: httpx.Response) -> str:
    """Which worker answered (the test clock's ``X-Test-Process`` header)."""
    return response.headers["x-test-process"]
