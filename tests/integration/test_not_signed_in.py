"""Every way of not being signed in, as a full page and as an htmx request.

A full page gets 303 to ``/login?next=<path and query>``; htmx gets 401 with
``HX-Redirect`` (never a 3xx that htmx would follow into a fragment). A cookie that
does not sign in is deleted (critique points 11 and 13).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from tests.support.apps import serve
from tests.support.browser import HTMX, Browser, assert_deletes_cookie, auth_set_cookie, present
from tests.support.database import Database
from tests.support.settings import make_settings

DAY = 86400
COOKIE = "__Host-auth"


def _flip(token: str, part: int) -> str:
    """Change one character in the middle of one part of a compact JWE."""
    parts = token.split(".")
    middle = len(parts[part]) // 2
    char = parts[part][middle]
    parts[part] = parts[part][:middle] + ("A" if char != "A" else "B") + parts[part][middle + 1 :]
    return ".".join(parts)


def _signed_in_token(visitor: Browser) -> str:
    assert visitor.register().status_code == 303
    token = visitor.token
    assert token
    return token


def _no_cookie(visitor: Browser, *_: object) -> str | None:
    return None


def _garbage(visitor: Browser, *_: object) -> str | None:
    return "garbage"


def _tampered_ciphertext(visitor: Browser, *_: object) -> str | None:
    return _flip(_signed_in_token(visitor), 3)


def _tampered_header(visitor: Browser, *_: object) -> str | None:
    return _flip(_signed_in_token(visitor), 0)


def _other_key_set(visitor: Browser, clock: TestClock, tmp_path: Path, _: Database) -> str | None:
    _signed_in_token(visitor)  # an account here too: only the key differs
    with serve(make_settings(tmp_path / "elsewhere"), clock) as other:
        return _signed_in_token(Browser(other))


def _expired_session(visitor: Browser, clock: TestClock, *_: object) -> str | None:
    token = _signed_in_token(visitor)
    clock.advance(14 * DAY)
    return token


def _missing_session(visitor: Browser, clock: TestClock, _: Path, db: Database) -> str | None:
    token = _signed_in_token(visitor)
    db.execute("DELETE FROM sessions")
    clock.advance(DAY)
    return token


def _signed_out(visitor: Browser, *_: object) -> str | None:
    token = _signed_in_token(visitor)
    assert visitor.logout().status_code == 303
    return token


Case = Callable[[Browser, TestClock, Path, Database], str | None]
CASES: list[object] = [
    pytest.param(_no_cookie, id="no-cookie"),
    pytest.param(_garbage, id="garbage-cookie"),
    pytest.param(_tampered_ciphertext, id="tampered-ciphertext"),
    pytest.param(_tampered_header, id="tampered-header"),
    pytest.param(_other_key_set, id="other-key-set"),
    pytest.param(_expired_session, id="expired-session"),
    pytest.param(_missing_session, id="missing-session"),
    pytest.param(_signed_out, id="signed-out-token"),
]


def _ask(client: TestClient[Litestar], token: str | None, path: str, *, htmx: bool) -> object:
    present(client, token)
    return client.get(path, headers=HTMX if htmx else None, follow_redirects=False)


@pytest.mark.parametrize("case", CASES)
def test_a_page_sends_the_visitor_to_log_in(
    visitor: Browser, clock: TestClock, tmp_path: Path, db: Database, case: Case
) -> None:
    token = case(visitor, clock, tmp_path, db)
    present(visitor.client, token)

    response = visitor.client.get("/dashboard", follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    assert "hx-redirect" not in response.headers
    if token is None:
        assert auth_set_cookie(response) is None
    else:
        assert_deletes_cookie(response)


@pytest.mark.parametrize("case", CASES)
def test_an_htmx_request_gets_401_and_hx_redirect(
    visitor: Browser, clock: TestClock, tmp_path: Path, db: Database, case: Case
) -> None:
    token = case(visitor, clock, tmp_path, db)
    present(visitor.client, token)

    response = visitor.client.get("/dashboard", headers=HTMX, follow_redirects=False)

    assert response.status_code == 401, response.text
    assert response.headers.get("hx-redirect") == "/login?next=%2Fdashboard"
    assert "location" not in response.headers
    if token is None:
        assert auth_set_cookie(response) is None
    else:
        assert_deletes_cookie(response)


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    ("path", "expected_next"),
    [
        ("/dashboard?x=1", "%2Fdashboard%3Fx%3D1"),
        ("/dashboard?a=1&b=two", "%2Fdashboard%3Fa%3D1%26b%3Dtwo"),
        ("/dashboard?q=%2F%2Fevil", "%2Fdashboard%3Fq%3D%252F%252Fevil"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_next_carries_the_path_and_query_url_encoded(
    client: TestClient[Litestar], path: str, expected_next: str, htmx: bool
) -> None:
    response = client.get(path, headers=HTMX if htmx else None, follow_redirects=False)

    assert response.status_code == (401 if htmx else 303), response.text
    header = "hx-redirect" if htmx else "location"
    assert response.headers[header] == f"/login?next={expected_next}"


def test_an_htmx_fragment_request_comes_back_to_the_page_it_was_made_from(
    client: TestClient[Litestar],
) -> None:
    response = client.get(
        "/dashboard",
        headers={**HTMX, "HX-Current-URL": "https://testserver.local/dashboard?tab=2"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=%2Fdashboard%3Ftab%3D2"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_home_sends_each_visitor_where_they_belong(visitor: Browser, signed_in: bool) -> None:
    if signed_in:
        assert visitor.register().status_code == 303
    response = visitor.client.get("/", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == ("/dashboard" if signed_in else "/login")


def test_home_with_a_bad_cookie_goes_to_login_and_deletes_it(visitor: Browser) -> None:
    present(visitor.client, "garbage")
    response = visitor.client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert_deletes_cookie(response)
