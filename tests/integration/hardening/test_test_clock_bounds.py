"""The test clock (``/_test/clock``, development only) cannot be moved by another site and
stays within the years 1970 to 9000, so the pages can always show its time. (Red-team: Info.)
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import Browser
from tests.support.hostile import ALICE

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param({"content-type": "text/plain"}, '{"advance": 60}', id="text/plain"),
        pytest.param(
            {"content-type": "application/json", "Sec-Fetch-Site": "cross-site"},
            '{"advance": 60}',
            id="cross-site",
        ),
        pytest.param(
            {"content-type": "application/json", "Origin": "https://evil.example"},
            '{"advance": 60}',
            id="foreign origin",
        ),
    ],
)
def test_the_test_clock_cannot_be_moved_by_another_site(
    client: TestClient[Litestar], headers: dict[str, str], body: str
) -> None:
    before = client.get("/_test/clock").json()["now"]
    response = client.post("/_test/clock", content=body, headers=headers)
    assert response.status_code in {400, 403}
    assert client.get("/_test/clock").json()["now"] == before


@pytest.mark.parametrize(
    ("when", "status"),
    [
        ("9000-12-31T23:59:59Z", 200),
        ("9001-01-01T00:00:00Z", 400),
        ("9999-12-31T23:59:59Z", 400),
        ("1969-12-31T23:59:59Z", 400),
    ],
)
def test_the_test_clock_stays_within_the_years_1970_to_9000(
    visitor: Browser, when: str, status: int
) -> None:
    visitor.register(ALICE)
    response = visitor.client.post("/_test/clock", json={"set": when})
    assert response.status_code == status
    if status == 200:  # the dashboard can show such a time
        visitor.client.post("/_test/clock", json={"advance": 0})
        assert visitor.client.get("/dashboard", follow_redirects=False).status_code in {200, 303}
