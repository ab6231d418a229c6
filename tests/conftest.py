"""The run's shared servers (PostgreSQL, Redis), started on first use, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.backends import Servers


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.stop()
