"""N workers started at once on an empty database: one migrates (under a lock), the others
wait and find the schema at head; none dies, the server serves. Both ways README gives:
``python -m app serve`` (which migrates before it starts the workers) and plain uvicorn
(where every worker starts on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db import migrate
from tests.support.backends import Servers
from tests.support.database import Database
from tests.support.live import LiveServer
from tests.support.remote import RemoteBrowser, process_of


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(
    request: pytest.FixtureRequest, servers: Servers, tmp_path: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    url = servers.new_blank_database()
    yield url
    servers.drop_database(url)


@pytest.mark.parametrize("plain_uvicorn", [False, True], ids=["app-serve", "plain-uvicorn"])
def test_four_workers_start_together_on_an_empty_database(
    empty_database: str, tmp_path: Path, plain_uvicorn: bool
) -> None:
    server = LiveServer(
        tmp_path / "data",
        workers=4,
        env={"APP_DATABASE_URL": empty_database},
        plain_uvicorn=plain_uvicorn,
    )
    try:
        server.start()
        seen = set()
        for _ in range(80):
            response = RemoteBrowser(server.base_url).get("/login")
            assert response.status_code == 200
            seen.add(process_of(response))
        assert len(seen) >= 2  # several workers are up and serving
        log = server.log_text()
    finally:
        server.stop()
    assert Database(empty_database).rows("SELECT version_num FROM alembic_version") == [
        (migrate.head(),)
    ]
    assert "Traceback" not in log
    assert "already exists" not in log
