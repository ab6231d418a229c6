"""The schema comes from the Alembic migrations, on SQLite and PostgreSQL alike: they make
exactly the models, they bring a database of the first release (made by create_all, no
version table) to head without losing anyone, and start-up either migrates or refuses."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from litestar.testing import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from app.auth.lifetimes import mint
from app.auth.refresh import hash_secret
from app.clock import TestClock
from app.db import migrate
from app.db.engine import create_engine
from app.main import create_app
from app.security.keys import load_or_create_keyset
from app.security.passwords import PasswordService
from app.security.tokens import TokenCodec
from app.wiring import policy_of
from tests.support.backends import Backend, Servers
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.live import REPO_ROOT
from tests.support.settings import BASE_URL, PASSWORD, START, make_settings

LEGACY = Path(__file__).resolve().parents[1] / "support" / "legacy"


@pytest.fixture
def blank_url(backend: Backend, servers: Servers, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on this backend."""
    if backend.database == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    url = servers.new_blank_database()
    yield url
    servers.drop_database(url)


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


async def _upgrade_and_compare(url: str) -> tuple[tuple[str | None, str], list[object]]:
    engine = create_engine(url, pool_size=2)
    try:
        revisions = await migrate.upgrade(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    return revisions, differences


def test_the_migrations_make_exactly_the_models(blank_url: str) -> None:
    (before, after), differences = asyncio.run(_upgrade_and_compare(blank_url))
    assert before is None
    assert after == migrate.head()
    assert differences == []


def test_a_database_of_the_first_release_is_upgraded_and_keeps_its_people(
    backend: Backend, blank_url: str, tmp_path: Path
) -> None:
    db = Database(blank_url)
    ddl = (LEGACY / f"{backend.database}.sql").read_text()
    code = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    for statement in code.split(";"):
        if statement.strip():
            db.execute(statement)
    settings = make_settings(tmp_path, database_url=blank_url)
    policy = policy_of(settings)
    password_hash = asyncio.run(
        PasswordService(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    )
    db.execute(
        "INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)",
        "alice@example.com",
        password_hash,
        START,
    )
    [(user_id,)] = db.rows("SELECT id FROM users")
    secret = secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO sessions (public_id, user_id, secret_hash, created_at, rotated_at, "
        "expires_at, absolute_expires_at, user_agent, client_addr) "
        "VALUES ('old-session', ?, ?, ?, ?, ?, ?, '', '')",
        user_id,
        hash_secret(secret),
        START,
        START,
        START + policy.session_ttl,
        START + policy.session_max_age,
    )
    db.execute(  # a logout of the first release: its session stays revoked
        "INSERT INTO auth_events (created_at, user_id, session_public_id, kind, client_addr, "
        "user_agent) VALUES (?, ?, 'logged-out-session', 'signed_out', '', '')",
        START,
        user_id,
    )
    keys = load_or_create_keyset(settings.resolved_keys_file, START)
    claims = mint(
        user_id=user_id,
        email="alice@example.com",
        session_id="old-session",
        secret=secret,
        session_started_at=START,
        session_expires_at=START + policy.session_ttl,
        now=START,
        policy=policy,
        auth_time=START,
        amr=("pwd",),
    )
    token = TokenCodec(keys).encode(claims)

    with TestClient(create_app(settings, clock=TestClock(START + 60)), base_url=BASE_URL) as client:
        visitor = Browser(client)
        assert visitor.signed_in_with(token)  # the session made before the upgrade
        # ... which was proved by a password when it began
        assert db.rows("SELECT auth_time, amr FROM sessions WHERE public_id = 'old-session'") == [
            (START, "pwd")
        ]
        client.cookies.clear()
        assert visitor.login().status_code == 303  # the password stored before the upgrade
    assert db.rows("SELECT version_num FROM alembic_version") == [(migrate.head(),)]
    assert db.rows("SELECT session_public_id FROM revocations") == [("logged-out-session",)]
    # a session of the old release was proved by a password when it began
    assert ("old-session", START, "pwd") in db.rows(
        "SELECT public_id, auth_time, amr FROM sessions"
    )


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_db_upgrade_migrates_and_db_check_tells(blank_url: str, tmp_path: Path) -> None:
    env = {"APP_DATA_DIR": str(tmp_path), "APP_DATABASE_URL": blank_url}
    before = _cli("db", "check", env=env)
    assert before.returncode == 1
    assert "python -m app db upgrade" in before.stdout
    upgraded = _cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"from nothing to {migrate.head()}" in upgraded.stdout
    again = _cli("db", "upgrade", env=env)
    assert "nothing to do" in again.stdout
    after = _cli("db", "check", env=env)
    assert after.returncode == 0
    assert migrate.head() in after.stdout


@pytest.mark.backends("sqlite")
def test_with_auto_migrate_off_start_up_refuses_an_old_database(
    blank_url: str, tmp_path: Path
) -> None:
    env = {
        "APP_DATA_DIR": str(tmp_path),
        "APP_DATABASE_URL": blank_url,
        "APP_AUTO_MIGRATE": "false",
        "APP_COOKIE_SECURE": "false",
    }
    refused = _cli("serve", "--port", "1", env=env)  # never binds: start-up stops first
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "python -m app db upgrade" in output
    assert "APP_AUTO_MIGRATE" in output
    assert "Traceback" not in output
