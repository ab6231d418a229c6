"""Register, sign in, sign out, the guard's redirect, and the plain-form fallback."""

from __future__ import annotations

from harness import Credentials, auth_cookie
from pages import DashboardPage, LoginPage, RegisterPage
from playwright.sync_api import BrowserContext, Page, expect
from pytest_playwright import CreateContextCallback

BAD_CREDENTIALS = "That email and password do not match an account."


def test_register_lands_on_the_dashboard_showing_the_email(
    page: Page, context: BrowserContext, credentials: Credentials, base_url: str
) -> None:
    dashboard = RegisterPage(page).open().register(credentials)

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(credentials.email)
    cookie = auth_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"


def test_sign_out_shows_the_login_page_and_ends_the_session(
    page: Page, context: BrowserContext, credentials: Credentials, base_url: str
) -> None:
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()

    login = dashboard.sign_out()

    expect(page).to_have_url(f"{base_url}/login")
    expect(login.heading).to_be_visible()
    account_nav = page.get_by_role("navigation", name="Account")
    expect(account_nav.get_by_role("link", name="Register")).to_be_visible()  # signed out
    assert auth_cookie(context) is None
    page.goto(f"{base_url}/dashboard")
    expect(page).to_have_url(f"{base_url}/login?next=%2Fdashboard")


def test_back_button_after_sign_out_does_not_show_the_dashboard(
    page: Page, credentials: Credentials, base_url: str
) -> None:
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    login = dashboard.sign_out()
    expect(login.heading).to_be_visible()

    page.go_back()

    expect(page).to_have_url(f"{base_url}/login?next=%2Fdashboard")
    expect(login.heading).to_be_visible()
    expect(DashboardPage(page).user_email).to_have_count(0)


def test_guarded_page_sends_to_login_then_back_after_signing_in(
    page: Page, account: Credentials, base_url: str
) -> None:
    DashboardPage(page).open()

    expect(page).to_have_url(f"{base_url}/login?next=%2Fdashboard")
    dashboard = LoginPage(page).log_in(account)

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(account.email)


def test_login_follows_next_to_another_local_path(
    page: Page, account: Credentials, base_url: str
) -> None:
    LoginPage(page).open(next_url="/sessions").log_in(account)

    expect(page).to_have_url(f"{base_url}/sessions")
    expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()


def test_login_ignores_an_absolute_next(page: Page, account: Credentials, base_url: str) -> None:
    dashboard = LoginPage(page).open(next_url="https://evil.example/").log_in(account)

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(account.email)


def test_wrong_password_shows_the_error_inline(
    page: Page, context: BrowserContext, account: Credentials, base_url: str
) -> None:
    login = LoginPage(page).open()
    page.evaluate("window.__sameDocument = true")  # a full page load would forget this

    with page.expect_response(lambda r: r.url == f"{base_url}/login") as sent:
        login.log_in(account, password="not the right password at all")

    assert sent.value.request.headers.get("hx-request") == "true"
    expect(login.error).to_have_text(BAD_CREDENTIALS)
    expect(page).to_have_url(f"{base_url}/login")
    assert page.evaluate("window.__sameDocument") is True
    expect(login.email).to_have_value(account.email)
    assert auth_cookie(context) is None


def test_register_and_log_in_with_plain_forms_without_javascript(
    new_context: CreateContextCallback, credentials: Credentials, base_url: str
) -> None:
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    register = RegisterPage(page).open()
    with page.expect_request(lambda r: r.method == "POST") as sent:
        dashboard = register.register(credentials)
    assert "hx-request" not in sent.value.headers  # a plain form post: no htmx ran

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(credentials.email)

    login = dashboard.sign_out()
    expect(page).to_have_url(f"{base_url}/login")
    assert auth_cookie(context) is None

    dashboard = login.log_in(credentials)
    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(credentials.email)
    assert auth_cookie(context) is not None
