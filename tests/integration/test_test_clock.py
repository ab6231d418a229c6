"""``/_test/clock``: read and move the server's clock (only when APP_TEST_CLOCK is on)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from tests.support.apps import serve
from tests.support.browser import Browser
from tests.support.settings import START, make_settings

START_ISO = "2027-01-15T08:00:00Z"
assert START == 1_800_000_000


def test_get_answers_the_servers_now(client: TestClient[Litestar]) -> None:
    response = client.get("/_test/clock")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"now": START_ISO}


def test_advance_moves_the_clock_and_answers_like_get(
    client: TestClient[Litestar], clock: TestClock
) -> None:
    response = client.post("/_test/clock", json={"advance": 60})

    assert response.status_code == 200, response.text
    assert response.json() == {"now": "2027-01-15T08:01:00Z"}
    assert client.get("/_test/clock").json() == response.json()
    assert clock.now() == START + 60


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
        ("2030-01-01T02:00:00+02:00", "2030-01-01T00:00:00Z"),
        ("2030-01-01T00:00:00", "2030-01-01T00:00:00Z"),
    ],
)
def test_set_puts_the_clock_at_a_given_time(
    client: TestClient[Litestar], when: str, expected: str
) -> None:
    response = client.post("/_test/clock", json={"set": when})
    assert response.status_code == 200, response.text
    assert response.json() == {"now": expected}
    assert client.get("/_test/clock").json() == {"now": expected}


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[]", id="a-list"),
        pytest.param(b"60", id="a-number"),
        pytest.param(b"{}", id="no-instruction"),
        pytest.param(b'{"advance": "60"}', id="advance-a-string"),
        pytest.param(b'{"advance": true}', id="advance-a-bool"),
        pytest.param(b'{"advance": null}', id="advance-null"),
        pytest.param(b'{"advance": 1e999}', id="advance-infinite"),
        pytest.param(b'{"advance": NaN}', id="advance-nan"),
        pytest.param(b'{"set": "tomorrow"}', id="set-not-a-date"),
        pytest.param(b'{"set": ""}', id="set-empty"),
        pytest.param(b'{"set": "99999-01-01T00:00:00Z"}', id="set-out-of-range"),
    ],
)
def test_a_bad_body_is_refused_and_the_clock_stays(
    client: TestClient[Litestar], clock: TestClock, body: bytes
) -> None:
    response = client.post(
        "/_test/clock", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert clock.now() == START


def test_no_csrf_token_no_cookie_and_no_sign_in_are_needed(client: TestClient[Litestar]) -> None:
    client.cookies.clear()
    response = client.post("/_test/clock", json={"advance": 1})
    assert response.status_code == 200, response.text


def test_moving_the_clock_over_http_drives_the_guard(visitor: Browser) -> None:
    assert visitor.register().status_code == 303
    moved = visitor.client.post("/_test/clock", json={"advance": 14 * 86400})
    assert moved.status_code == 200

    response = visitor.client.get("/dashboard", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard"


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [("GET", {}), ("POST", {"json": {"advance": 60}})],
)
def test_without_the_test_clock_setting_the_route_does_not_exist(
    tmp_path: Path, clock: TestClock, method: str, kwargs: dict[str, Any]
) -> None:
    with serve(make_settings(tmp_path, test_clock=False), clock) as client:
        response = client.request(method, "/_test/clock", **kwargs)
        assert response.status_code == 404, response.text
    assert clock.now() == START
