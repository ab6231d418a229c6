"""Issue 3 and 4 in the browser: the sessions page, the password hint, and a CSP that holds."""

from __future__ import annotations

from harness import Credentials
from pages import DashboardPage, LoginPage, PasswordPage, RegisterPage, SessionsPage
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback


def _violations(page: Page) -> list[str]:
    found: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            found.append(message.text)

    page.on("console", listen)
    return found


def test_pages_run_under_the_csp_without_a_single_violation(
    page: Page, credentials: Credentials
) -> None:
    errors = _violations(page)
    register = RegisterPage(page).open()
    register.fill(Credentials(email=credentials.email, password="passwordpassword"))
    expect(page.locator("#password-hint")).to_contain_text("Strength:")  # the live hint
    page.get_by_role("button", name="Create account").click()  # refused: too common
    expect(page.locator("#password-error")).to_contain_text("too easy to guess")
    dashboard = register.register(credentials).wait_until_loaded()
    expect(dashboard.user_email).to_have_text(credentials.email)
    dashboard.refresh()
    expect(dashboard.tier).to_contain_text("token alone")  # re-rendered by htmx, in place
    sessions = SessionsPage(page).open()
    expect(sessions.heading).to_be_visible()
    expect(sessions.rows).to_have_count(1)
    expect(sessions.this_device).to_be_visible()
    password = PasswordPage(page).open()
    expect(password.heading).to_be_visible()
    expect(password.new).to_have_attribute("autocomplete", "new-password")
    # the register form's 422 is an expected "error" console line; nothing else is
    assert [e for e in errors if "422" not in e] == []


def test_signing_out_another_device_from_the_sessions_page(
    page: Page, new_context: CreateContextCallback, account: Credentials
) -> None:
    phone: BrowserContext = new_context()
    phone_page = phone.new_page()
    LoginPage(phone_page).open().log_in(account).wait_until_loaded()
    LoginPage(page).open().log_in(account).wait_until_loaded()

    sessions = SessionsPage(page).open()
    expect(sessions.rows).to_have_count(3)  # where the account registered, the phone, here
    expect(sessions.this_device).to_have_count(1)
    sessions.sign_out_buttons().first.click()
    expect(sessions.rows).to_have_count(2)  # htmx removed the row in place
    sessions.sign_out_others.click()
    expect(sessions.rows).to_have_count(1)
    expect(sessions.this_device).to_have_count(1)  # the one left is this one

    # The phone is refused at once, although its token is inside its access window.
    phone_page.goto(DashboardPage.PATH)
    expect(phone_page).to_have_url("/login?next=%2Fdashboard")
    phone.close()
