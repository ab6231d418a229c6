"""Issue 3: key rotation without signing anyone out, unknown keys, and purging old rows."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from litestar.testing import TestClient

from app.clock import TestClock
from app.config import Settings
from app.db.locks import exclusive
from app.main import create_app
from app.security.keys import prune_keyset, rotate_keyset
from tests.support.browser import Browser, auth_set_cookie
from tests.support.database import Database
from tests.support.settings import BASE_URL

COOKIE = "__Host-auth"
DAY = 86400
ROOT = Path(__file__).resolve().parents[2]


def _dashboard(settings: Settings, clock: TestClock, token: str) -> int:
    with TestClient(create_app(settings, clock=clock), base_url=BASE_URL) as client:
        client.cookies.set(COOKIE, token)
        return client.get("/dashboard", follow_redirects=False).status_code


def test_a_rotated_key_set_still_reads_old_tokens_and_writes_with_the_new_key(
    settings: Settings, clock: TestClock, visitor: Browser
) -> None:
    visitor.register()
    old_token = visitor.token
    assert old_token
    keys_file = Path(settings.data_dir) / "keys.json"
    new_kid = rotate_keyset(keys_file, clock.now())
    assert oct(keys_file.stat().st_mode & 0o777) == "0o600"

    app = create_app(settings, clock=clock)  # a restart picks the new key up
    with TestClient(app, base_url=BASE_URL) as client:
        client.cookies.set(COOKIE, old_token)
        assert client.get("/dashboard").status_code == 200  # no one is signed out
        clock.advance(2 * 3600)  # tier 2: the renewed token is written with the new key
        renewed = client.get("/dashboard")
        assert renewed.status_code == 200
        set_cookie = auth_set_cookie(renewed, COOKIE)
        assert set_cookie
    token = set_cookie.split(";", 1)[0].split("=", 1)[1]
    assert token != old_token
    header = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "=="))
    assert header["kid"] == new_kid


def test_a_pruned_key_leaves_its_tokens_not_signed_in(
    settings: Settings, clock: TestClock, visitor: Browser
) -> None:
    visitor.register()
    old_token = visitor.token
    assert old_token
    keys_file = Path(settings.data_dir) / "keys.json"
    rotate_keyset(keys_file, clock.now())
    # Right after a rotation the old key stays: tokens it minted still refresh sessions.
    assert prune_keyset(keys_file, clock.now(), settings.session_max_age) == []
    assert _dashboard(settings, clock, old_token) == 200
    later = clock.now() + settings.session_max_age
    assert len(prune_keyset(keys_file, later, settings.session_max_age)) == 1
    assert _dashboard(settings, clock, old_token) == 303  # unknown kid: not signed in, no error


def test_the_purge_deletes_expired_sessions_and_old_events_only(
    settings: Settings, clock: TestClock, visitor: Browser, db: Database
) -> None:
    visitor.register()
    clock.advance(15 * DAY)  # the first session is idle-expired
    visitor.client.cookies.clear()
    visitor.register("bob@example.com")
    purger = visitor.client.app.state.core.purger
    portal = visitor.client.blocking_portal  # the app's own event loop

    result = portal.call(purger.purge)
    assert result.sessions == 1
    assert db.count("sessions") == 1
    events_before = db.count("auth_events")
    clock.advance(settings.event_retention + 1)
    result = portal.call(purger.purge)
    assert result.events == events_before
    assert db.count("auth_events") == 0


def test_the_command_line_rotates_and_prunes_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env["APP_DATA_DIR"] = str(tmp_path)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    assert "added key" in run("keys", "rotate")
    assert "dropped 0 key(s)" in run("keys", "prune")
    assert "deleted 0 expired session(s)" in run("purge")
    assert oct((tmp_path / "keys.json").stat().st_mode & 0o777) == "0o600"


def test_only_one_process_purges_at_a_time(visitor: Browser) -> None:
    """N workers each run the purge loop; the deployment-wide lock lets one of them work."""
    purger = visitor.client.app.state.core.purger
    engine = visitor.client.app.state.engine

    async def while_another_purges() -> tuple[bool, bool]:
        async with exclusive(engine, "purge") as (held, _):
            skipped = (await purger.purge()).skipped
        return held, skipped

    held, skipped = visitor.client.blocking_portal.call(while_another_purges)
    assert held
    assert skipped
    assert not visitor.client.blocking_portal.call(purger.purge).skipped
