"""What the server answers besides its pages: no public API schema, ``HEAD`` wherever
``GET`` answers, and pages that say who is signed in never cached. (Red-team: Info.)
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


def test_there_is_no_public_schema(client: TestClient[Litestar]) -> None:
    for path in ("/schema", "/schema/openapi.json", "/schema/swagger"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/login", "/register", "/static/app.css"])
def test_head_answers_wherever_get_does(client: TestClient[Litestar], path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_pages_that_say_who_is_signed_in_are_never_cached(
    client: TestClient[Litestar], path: str
) -> None:
    response = client.get(path)
    assert response.headers["cache-control"] == "no-store"
    assert "Cookie" in response.headers["vary"]
