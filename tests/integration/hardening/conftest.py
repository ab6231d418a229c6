"""Fixtures of the hardening tests; their helpers are in ``tests/support/hostile.py``."""

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
