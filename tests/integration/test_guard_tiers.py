"""The guard's three tiers, driven by the test clock, seen over HTTP and in the SQL it runs.

Defaults: access window 1 h, token 1 d, session idle 14 d, absolute 30 d.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from redis import Redis

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import (
    HTMX,
    Browser,
    assert_deletes_cookie,
    auth_set_cookie,
    cookie_attributes,
    cookie_value,
    present,
)
from tests.support.database import Database
from tests.support.settings import START
from tests.support.statements import StatementLog

HOUR = 3600
DAY = 86400
ACCESS, TOKEN, IDLE = HOUR, DAY, 14 * DAY


def _dashboard(client: TestClient[Litestar], headers: dict[str, str] | None = None) -> Any:
    return client.get("/dashboard", headers=headers, follow_redirects=False)


def _updates_of_sessions(statements: StatementLog) -> list[str]:
    return [s for s in statements.touching("sessions") if s.lstrip().upper().startswith("UPDATE")]


@pytest.fixture
def signed_in(visitor: Browser) -> Browser:
    """Registered (and so signed in) at START."""
    assert visitor.register().status_code == 303
    return visitor


# -- tier 1: inside the access window -------------------------------------------------


@pytest.mark.parametrize("elapsed", [0, 1, ACCESS - 1])
def test_tier_1_serves_from_the_token_alone(
    signed_in: Browser, clock: TestClock, statements: StatementLog, elapsed: int
) -> None:
    clock.advance(elapsed)
    statements.reset()

    response = _dashboard(signed_in.client)

    assert response.status_code == 200, response.text
    assert auth_set_cookie(response) is None
    assert statements.statements == []


@pytest.mark.backends("postgres+redis")
def test_with_redis_tiers_1_and_2_send_redis_nothing(
    signed_in: Browser, clock: TestClock, settings: Settings
) -> None:
    """Redis carries the throttle and the revocation broadcast; the fast path asks it
    nothing (the denylist is the in-memory mirror)."""
    redis = Redis.from_url(settings.revocation_store)
    try:
        before = int(redis.info("stats")["total_commands_processed"])
        for elapsed in (1, ACCESS + 1):  # tier 1, then tier 2
            clock.advance(elapsed)
            response = _dashboard(signed_in.client)
            assert response.status_code == 200, response.text
        after = int(redis.info("stats")["total_commands_processed"])
    finally:
        redis.close()
    assert after - before == 1  # the first INFO itself, nothing from the app


# -- tier 2: past the access window, inside the token ---------------------------------


@pytest.mark.parametrize("elapsed", [ACCESS, ACCESS + 1, TOKEN - 1])
def test_tier_2_renews_the_token_without_touching_the_session_table(
    signed_in: Browser,
    clock: TestClock,
    statements: StatementLog,
    db: Database,
    elapsed: int,
) -> None:
    old = signed_in.token
    row = db.session()
    clock.advance(elapsed)
    statements.reset()

    response = _dashboard(signed_in.client)

    assert response.status_code == 200, response.text
    header = auth_set_cookie(response)
    assert header is not None
    assert cookie_value(header) != old
    assert cookie_attributes(header)["max-age"] == str(IDLE - elapsed)
    assert statements.touching("sessions") == []
    assert db.session() == row


def test_tier_2_with_htmx_serves_the_fragment_and_renews_the_cookie(
    signed_in: Browser, clock: TestClock, statements: StatementLog
) -> None:
    clock.advance(ACCESS + 1)
    statements.reset()

    response = _dashboard(signed_in.client, HTMX)

    assert response.status_code == 200, response.text
    assert "<html" not in response.text
    assert auth_set_cookie(response) is not None
    assert statements.touching("sessions") == []


def test_a_renewed_token_is_served_from_the_token_alone_for_a_new_access_window(
    signed_in: Browser, clock: TestClock, statements: StatementLog
) -> None:
    clock.advance(ACCESS + 1)
    assert auth_set_cookie(_dashboard(signed_in.client)) is not None
    clock.advance(ACCESS - 1)
    statements.reset()

    response = _dashboard(signed_in.client)

    assert response.status_code == 200
    assert auth_set_cookie(response) is None
    assert statements.statements == []


def test_renewal_never_extends_the_tokens_hard_expiry(
    signed_in: Browser, clock: TestClock, statements: StatementLog, db: Database
) -> None:
    """Critique point 2: re-minting moves the access window only, so the session is
    still checked once per token lifetime however busy the user is."""
    created = db.session()
    for elapsed in (ACCESS + 1, 10 * HOUR, 20 * HOUR, TOKEN - 1):  # tier 2 each time
        clock.set(START + elapsed)
        statements.reset()
        response = _dashboard(signed_in.client)
        assert response.status_code == 200
        assert auth_set_cookie(response) is not None
        assert statements.touching("sessions") == []
    assert db.session() == created

    clock.set(START + TOKEN + 1)  # the original expiry has passed: tier 3 at last
    statements.reset()
    response = _dashboard(signed_in.client)

    assert response.status_code == 200, response.text
    rotated = db.session()
    assert rotated["rotated_at"] == START + TOKEN + 1
    assert rotated["secret_hash"] != created["secret_hash"]
    assert len(_updates_of_sessions(statements)) == 1


# -- tier 3: past the token -----------------------------------------------------------


@pytest.mark.parametrize("elapsed", [TOKEN, TOKEN + 1, IDLE - 1])
def test_tier_3_checks_the_session_and_rotates_it_exactly_once(
    signed_in: Browser,
    clock: TestClock,
    statements: StatementLog,
    db: Database,
    elapsed: int,
) -> None:
    old_token = signed_in.token
    before = db.session()
    clock.advance(elapsed)
    statements.reset()

    response = _dashboard(signed_in.client)

    assert response.status_code == 200, response.text
    header = auth_set_cookie(response)
    assert header is not None
    assert cookie_value(header) != old_token
    assert cookie_attributes(header)["max-age"] == str(IDLE)  # a fresh idle lifetime
    after = db.session()
    assert after["public_id"] == before["public_id"]
    assert after["secret_hash"] != before["secret_hash"]
    assert after["previous_secret_hash"] == before["secret_hash"]
    assert after["rotated_at"] == START + elapsed
    assert after["expires_at"] == START + elapsed + IDLE
    assert after["absolute_expires_at"] == before["absolute_expires_at"]
    assert len(_updates_of_sessions(statements)) == 1
    assert db.rows("SELECT COUNT(*) FROM auth_events WHERE kind = 'rotated'") == [(1,)]
    # One short transaction: the row is read inside the write (SQLite shows the app's BEGINs).
    begins = [
        s.split()[:2] for s in statements.statements if s.lstrip().upper().startswith("BEGIN")
    ]
    assert begins == ([["BEGIN", "IMMEDIATE"]] if db.is_sqlite else [])


def test_the_rotated_token_starts_a_new_access_window(
    signed_in: Browser, clock: TestClock, statements: StatementLog, db: Database
) -> None:
    clock.advance(TOKEN)
    assert auth_set_cookie(_dashboard(signed_in.client)) is not None
    clock.advance(ACCESS - 1)
    statements.reset()

    response = _dashboard(signed_in.client)

    assert response.status_code == 200
    assert auth_set_cookie(response) is None
    assert statements.statements == []


def test_each_token_lifetime_rotates_the_session_again(
    signed_in: Browser, clock: TestClock, db: Database
) -> None:
    hashes = [db.session()["secret_hash"]]
    for _ in range(3):
        clock.advance(TOKEN)
        assert _dashboard(signed_in.client).status_code == 200
        row = db.session()
        assert row["previous_secret_hash"] == hashes[-1]
        hashes.append(row["secret_hash"])
    assert len(set(hashes)) == 4


def test_tier_3_with_htmx_serves_the_fragment_with_the_rotated_cookie(
    signed_in: Browser, clock: TestClock, db: Database
) -> None:
    before = db.session()
    clock.advance(TOKEN)

    response = _dashboard(signed_in.client, HTMX)

    assert response.status_code == 200, response.text
    assert "<html" not in response.text
    assert auth_set_cookie(response) is not None
    assert db.session()["previous_secret_hash"] == before["secret_hash"]


def test_the_token_rotated_away_no_longer_signs_in(
    signed_in: Browser, clock: TestClock, db: Database
) -> None:
    old_token = signed_in.token
    clock.advance(TOKEN)
    assert auth_set_cookie(_dashboard(signed_in.client)) is not None

    clock.advance(HOUR)  # far beyond any grace for requests that raced the rotation
    present(signed_in.client, old_token)
    response = _dashboard(signed_in.client)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    assert_deletes_cookie(response)


# -- the session's end ----------------------------------------------------------------


def test_a_session_past_its_idle_lifetime_is_deleted_and_the_user_sent_to_log_in(
    signed_in: Browser, clock: TestClock, db: Database
) -> None:
    clock.advance(IDLE)

    response = _dashboard(signed_in.client)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    assert_deletes_cookie(response)
    assert db.count("sessions") == 0
    login = signed_in.client.get(response.headers["location"])
    assert "Your session expired" in login.text


def test_a_session_past_its_idle_lifetime_with_htmx_gets_401_and_hx_redirect(
    signed_in: Browser, clock: TestClock, db: Database
) -> None:
    clock.advance(IDLE + DAY)

    response = _dashboard(signed_in.client, HTMX)

    assert response.status_code == 401, response.text
    assert response.headers.get("hx-redirect") == "/login?next=%2Fdashboard"
    assert "location" not in response.headers
    assert_deletes_cookie(response)
    assert db.count("sessions") == 0


def test_the_absolute_lifetime_ends_an_active_session(settings: Settings, clock: TestClock) -> None:
    """access 60 s, token 120 s, idle 300 s, absolute 600 s; the user comes back often."""
    lifetimes = {"access_ttl": 60, "token_ttl": 120, "session_ttl": 300, "session_max_age": 600}
    settings = settings.model_copy(update=lifetimes)
    db = Database.of(settings)
    with serve(settings, clock) as client:
        visitor = Browser(client)
        assert visitor.register().status_code == 303
        max_ages = {}
        for elapsed in (110, 220, 330, 440, 599):  # tier 2 and 3 in turn, never idle 300 s
            clock.set(START + elapsed)
            response = _dashboard(client)
            assert response.status_code == 200, (elapsed, response.text)
            header = auth_set_cookie(response)
            assert header is not None
            max_ages[elapsed] = int(cookie_attributes(header)["max-age"])
        # Rotations renew the idle lifetime only up to the absolute end.
        assert db.session()["expires_at"] == START + 600
        assert max_ages[220] == 300
        assert max_ages[440] == 160
        assert max_ages[599] == 1

        # The browser's copy (Max-Age=1, by real time) may be gone a second later; the
        # server must refuse it anyway, so present it explicitly.
        last = header.split(";", 1)[0].split("=", 1)[1]
        client.cookies.clear()
        client.cookies.set(visitor.cookie_name, last)
        clock.set(START + 600)
        response = _dashboard(client)

        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/login?next=%2Fdashboard"
        assert_deletes_cookie(response)
        assert db.count("sessions") == 0


def test_a_session_deleted_on_the_server_ends_at_the_next_session_check(
    signed_in: Browser, clock: TestClock, statements: StatementLog, db: Database
) -> None:
    db.execute("DELETE FROM sessions")

    clock.advance(ACCESS - 1)  # tier 1 never reads the table
    statements.reset()
    assert _dashboard(signed_in.client).status_code == 200
    assert statements.statements == []

    clock.advance(TOKEN)
    response = _dashboard(signed_in.client)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    assert_deletes_cookie(response)
    login = signed_in.client.get(response.headers["location"])
    assert "Your session has ended" in login.text
