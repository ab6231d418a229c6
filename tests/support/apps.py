"""More apps on the same settings (a restart, a second process, another host)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.main import create_app
from tests.support.settings import BASE_URL

__all__ = ["serve"]


@contextmanager
def serve(
    settings: Settings, clock: TestClock, base_url: str = BASE_URL
) -> Iterator[TestClient[Litestar]]:
    """Another app (other settings, or a restart) on the given clock."""
    with TestClient(create_app(settings, clock=clock), base_url=base_url) as test_client:
        yield test_client
