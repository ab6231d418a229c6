"""The seed's guard, walked in a browser: each branch reached by moving the server's clock.

Default lifetimes: access window 1 h, token 1 d, session idle 14 d, absolute 30 d.
Every advance is relative to this test's own registration (the server is shared).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from harness import AppDatabase, Credentials, ServerClock, auth_cookie
from pages import DashboardPage, LoginPage, RegisterPage
from playwright.sync_api import Page, expect

# Once on the embedded deployment, once on two workers sharing PostgreSQL: the clock, the
# rotation and the revocations are one for the whole deployment.
pytestmark = pytest.mark.deployments("sqlite", "postgres-2-workers")

TOKEN_ALONE = "token alone"
REMINTED = "re-minting"
ROTATED = "rotating"
SESSION_EXPIRED = "Your session expired. Please sign in again."


def _signed_in(page: Page, credentials: Credentials) -> DashboardPage:
    return RegisterPage(page).open().register(credentials).wait_until_loaded()


def _auth_value(page: Page) -> str:
    cookie = auth_cookie(page.context)
    assert cookie is not None, "the browser holds no auth cookie"
    return str(cookie["value"])


def test_inside_the_access_window_the_token_alone_serves_the_page(
    page: Page, credentials: Credentials, server_clock: ServerClock
) -> None:
    dashboard = _signed_in(page, credentials)
    before = _auth_value(page)

    server_clock.advance(timedelta(minutes=30))
    page.reload()

    expect(dashboard.user_email).to_have_text(credentials.email)
    expect(dashboard.tier).to_contain_text(TOKEN_ALONE)
    assert _auth_value(page) == before


def test_past_the_access_window_the_token_is_reminted_and_the_cookie_replaced(
    page: Page, credentials: Credentials, server_clock: ServerClock
) -> None:
    dashboard = _signed_in(page, credentials)
    before = _auth_value(page)
    access_until = dashboard.moment(dashboard.access_until)
    token_expires = dashboard.moment(dashboard.token_expires)

    server_clock.advance(timedelta(hours=2))
    page.reload()

    expect(dashboard.user_email).to_have_text(credentials.email)
    expect(dashboard.tier).to_contain_text(REMINTED)
    assert _auth_value(page) != before
    assert dashboard.moment(dashboard.access_until) != access_until  # a new access window
    assert dashboard.moment(dashboard.token_expires) == token_expires  # the hard expiry stays


def test_past_the_token_lifetime_the_session_is_rotated_and_the_user_stays_signed_in(
    page: Page,
    credentials: Credentials,
    server_clock: ServerClock,
    app_db: AppDatabase,
) -> None:
    dashboard = _signed_in(page, credentials)
    before = _auth_value(page)
    [secret_hash] = app_db.session_secret_hashes(credentials.email)

    server_clock.advance(timedelta(hours=25))
    page.reload()

    expect(dashboard.user_email).to_have_text(credentials.email)
    expect(dashboard.tier).to_contain_text(ROTATED)
    assert _auth_value(page) != before
    [rotated_hash] = app_db.session_secret_hashes(credentials.email)
    assert rotated_hash != secret_hash


def test_past_the_session_idle_lifetime_the_user_is_sent_to_log_in_with_a_notice(
    page: Page,
    credentials: Credentials,
    server_clock: ServerClock,
    base_url: str,
) -> None:
    _signed_in(page, credentials)

    server_clock.advance(timedelta(days=15))
    DashboardPage(page).open()

    expect(page).to_have_url(f"{base_url}/login?next=%2Fdashboard")
    login = LoginPage(page)
    expect(login.heading).to_be_visible()
    expect(login.notice).to_have_text(SESSION_EXPIRED)
    assert auth_cookie(page.context) is None


def test_a_session_deleted_on_the_server_sends_the_user_to_log_in(
    page: Page,
    credentials: Credentials,
    server_clock: ServerClock,
    app_db: AppDatabase,
    base_url: str,
) -> None:
    _signed_in(page, credentials)
    assert app_db.delete_sessions(credentials.email) == 1

    server_clock.advance(timedelta(hours=25))
    page.reload()

    expect(page).to_have_url(f"{base_url}/login?next=%2Fdashboard")
    expect(LoginPage(page).heading).to_be_visible()
    assert auth_cookie(page.context) is None
