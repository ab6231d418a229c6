"""Issue 18 in a real browser: turn the authenticator app on by reading the key off the
page, sign out, sign in with a code computed on the server's (test) clock, then with a
recovery code; with JavaScript on and off. "Confirm it's you" after five minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from harness import PASSWORD, Credentials
from pages import (
    DashboardPage,
    ReauthPage,
    RecoveryCodesPage,
    RegisterPage,
    SecurityPage,
    SessionsPage,
    TotpPage,
    TwoFactorPage,
)
from pages.security import code_at
from playwright.sync_api import expect
from pytest_playwright import CreateContextCallback

from tests.support.live import ServerClock

STEP = timedelta(seconds=30)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no javascript"])
def test_a_code_from_the_app_then_a_recovery_code_sign_in(
    new_context: CreateContextCallback,
    credentials: Credentials,
    server_clock: ServerClock,
    base_url: str,
    javascript: bool,
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    page.get_by_role("link", name="Security: your password").click()
    security = SecurityPage(page)
    expect(security.totp_status).to_contain_text("Off.")
    security.turn_on.click()

    totp = TotpPage(page)
    expect(totp.qr).to_be_visible()
    secret = totp.secret()
    totp.confirm(code_at(secret, server_clock.now()))
    expect(page).to_have_url(f"{base_url}/account/recovery-codes")
    codes = RecoveryCodesPage(page).codes()
    assert len(codes) == 10

    login = DashboardPage(page).open().sign_out()
    server_clock.advance(STEP)  # the code that turned it on never signs in: a later one
    login.log_in(credentials)
    two_factor = TwoFactorPage(page)
    expect(page).to_have_url(f"{base_url}/login/two-factor")
    two_factor.enter(code_at(secret, server_clock.now()))
    expect(dashboard.user_email).to_have_text(credentials.email)

    DashboardPage(page).sign_out().log_in(credentials)
    expect(two_factor.heading).to_be_visible()
    two_factor.enter(codes[0])
    expect(dashboard.user_email).to_have_text(credentials.email)
    SessionsPage(page).open()
    expect(page.locator("#session-list")).to_contain_text("Password and recovery code")
    expect(SecurityPage(page).open().codes_left).to_contain_text("9 unused recovery codes")


def test_changing_the_app_after_five_minutes_asks_for_the_password(
    new_context: CreateContextCallback,
    credentials: Credentials,
    server_clock: ServerClock,
    base_url: str,
) -> None:
    page = new_context().new_page()
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    server_clock.advance(timedelta(minutes=6))
    SecurityPage(page).open().turn_on.click()
    reauth = ReauthPage(page)
    expect(reauth.heading).to_be_visible()
    reauth.confirm("not my password at all")
    expect(reauth.summary.box).to_be_focused()
    reauth.confirm(PASSWORD)
    expect(page).to_have_url(f"{base_url}/account/totp")
    expect(TotpPage(page).qr).to_be_visible()
