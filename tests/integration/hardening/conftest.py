"""Fixtures of the hardening tests; their helpers are in ``tests/support/hostile.py``.

Most modules here probe HTTP parsing, tokens, forms and headers, which no database takes
part in: they run on SQLite only (``pytestmark``). The throttle and lockout modules run on
every store, since the store is what they test.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from tests.support.browser import Browser
from tests.support.hostile import ALICE, AppKey


@pytest.fixture
def app_key(settings: Settings, client: TestClient[Litestar]) -> AppKey:
    return AppKey(settings)


@pytest.fixture
def alice(visitor: Browser) -> Browser:
    """A registered, signed-in user."""
    response = visitor.register(ALICE)
    assert response.status_code == 303, response.text
    assert visitor.token is not None
    return visitor
