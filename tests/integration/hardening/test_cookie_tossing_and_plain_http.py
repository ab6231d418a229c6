"""Auth cookies an attacker could plant or read: a browser sent two auth cookies (one
planted by a sibling domain) is not signed in and every copy is deleted, and cookies
without ``Secure`` are refused on any address but loopback unless explicitly allowed.
(Red-team findings: Low, Info.)
"""

from __future__ import annotations

import pytest

from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import Browser, set_cookie_headers
from tests.support.hostile import ALICE

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


def test_two_auth_cookies_mean_not_signed_in_and_every_copy_is_deleted(
    settings: Settings, clock: object
) -> None:
    plain = settings.model_copy(update={"cookie_secure": False})
    with serve(plain, clock, base_url="http://testserver.local") as client:  # type: ignore[arg-type]
        visitor = Browser(client, "auth")
        assert visitor.register(ALICE).status_code == 303
        token = visitor.token
        response = client.get(
            "/sessions",
            headers={"cookie": f"auth=planted-by-a-sibling; auth={token}"},
            follow_redirects=False,
        )
    assert response.status_code == 303
    deletions = [h for h in set_cookie_headers(response) if h.startswith("auth=;")]
    assert {h.split("Path=")[1].split(";")[0] for h in deletions} == {"/", "/sessions"}


def test_insecure_cookies_are_refused_beyond_loopback(settings: Settings) -> None:
    from app.serve import insecure_exposure  # noqa: PLC0415

    plain = settings.model_copy(update={"cookie_secure": False})
    assert insecure_exposure(plain, "0.0.0.0") is not None  # noqa: S104
    assert insecure_exposure(plain, "192.168.1.5") is not None
    for loopback in ("127.0.0.1", "localhost", "::1", "[::1]"):
        assert insecure_exposure(plain, loopback) is None
    allowed = plain.model_copy(update={"allow_insecure_cookies": True})
    assert insecure_exposure(allowed, "0.0.0.0") is None  # noqa: S104
    assert insecure_exposure(settings, "0.0.0.0") is None  # noqa: S104
