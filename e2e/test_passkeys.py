"""Issue 19 in Chromium with its virtual authenticator (CDP), the app served as
http://localhost:<port>: add a passkey, sign out, sign in with it, delete it and be
refused; a failed user verification refused; the page without JavaScript."""

from __future__ import annotations

from harness import Credentials
from pages import DashboardPage, LoginPage, PasskeysPage, RegisterPage, VirtualAuthenticator
from playwright.sync_api import Page, expect
from pytest_playwright import CreateContextCallback

REFUSED = "That passkey did not sign you in."


def test_add_sign_in_delete_and_be_refused(
    page: Page, credentials: Credentials, base_url: str
) -> None:
    authenticator = VirtualAuthenticator(page)
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    passkeys = PasskeysPage(page).open()
    expect(passkeys.needs_js).to_be_hidden()
    passkeys.name.fill("Work laptop")
    passkeys.add.click()
    expect(passkeys.notice).to_contain_text("The passkey was added.")
    expect(passkeys.listed).to_have_count(1)
    expect(passkeys.listed).to_contain_text("Work laptop")
    assert len(authenticator.credentials()) == 1

    DashboardPage(page).open().sign_out()
    login = LoginPage(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(DashboardPage(page).user_email).to_have_text(credentials.email)

    passkeys.open().delete_button("Work laptop").click()
    expect(passkeys.notice).to_contain_text("The passkey was removed.")
    expect(passkeys.listed).to_have_count(0)

    DashboardPage(page).open().sign_out()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(login.heading).to_be_visible()
    expect(page).to_have_url(f"{base_url}/login")


def test_a_failed_user_verification_does_not_sign_in(
    page: Page, credentials: Credentials, base_url: str
) -> None:
    authenticator = VirtualAuthenticator(page)
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    passkeys = PasskeysPage(page).open()
    passkeys.add.click()
    expect(passkeys.listed).to_have_count(1)
    DashboardPage(page).open().sign_out()
    authenticator.fail_user_verification()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(f"{base_url}/login")
    DashboardPage(page).open()
    expect(page).to_have_url(f"{base_url}/login?next=%2Fdashboard")


def test_without_javascript_the_page_says_it_is_needed(
    new_context: CreateContextCallback, credentials: Credentials
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    RegisterPage(page).open().register(credentials)
    passkeys = PasskeysPage(page).open()
    expect(passkeys.heading).to_be_visible()
    expect(passkeys.needs_js).to_be_visible()
    expect(passkeys.add).to_be_hidden()
    LoginPage(page).open()
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
