"""Issue 13 in the browser: errors a screen reader hears, stale forms that say so, a
sign-out that always signs out, a strength hint that keeps working, passwords that can be
shown, revoke buttons that say which device, a dashboard written for people.
"""

from __future__ import annotations

import re

import pytest
from harness import PASSWORD, Credentials, auth_cookie
from pages import (
    DashboardPage,
    LoginPage,
    PasswordPage,
    RegisterPage,
    SessionsPage,
    SiteHeader,
)
from pages.forms import field_error, show_button, wait_until_settled
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route, expect
from pytest_playwright import CreateContextCallback

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
STRONG = "umbrella violin gravel orchard"
PANELS = 3  # the dashboard's "Check again" reloads three panels, each with a request


def _console(page: Page) -> list[str]:
    seen: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        seen.append(message.text)

    page.on("console", listen)
    return seen


# --- Errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_after_a_failed_submit_the_error_summary_has_the_focus(
    new_context: CreateContextCallback, credentials: Credentials, javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    register = RegisterPage(page).open()
    register.email.fill("not an email")
    register.password.fill("short")
    register.password_confirm.fill("something else")

    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        register.submit.click()

    assert (sent.value.request.headers.get("hx-request") == "true") is javascript
    assert sent.value.status == 422
    expect(register.summary.box).to_be_focused()
    expect(register.summary.title).to_be_visible()
    expect(register.summary.alert).to_have_count(1)  # the form's one live region
    expect(page.locator("[aria-live][role]")).to_have_count(0)  # never both at once
    expect(page).to_have_title(re.compile(r"^Error: Register"))
    links = register.summary.links
    expect(links).to_have_count(3)
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [
        "#email",
        "#password",
        "#password_confirm",
    ]
    for name in ("email", "password", "password_confirm"):
        error = field_error(page, name)
        assert (error.text_content() or "").startswith("Error: ")  # heard, not seen
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{name}")).to_have_attribute(
            "aria-describedby", re.compile(rf"\b{name}-error\b")
        )
    expect(register.hint).to_be_visible()  # the strength hint is still under the field
    show = show_button(page, "Password")
    if javascript:
        expect(show).to_be_visible()
        links.nth(1).click()
        expect(register.password).to_be_focused()
    else:
        expect(show).to_be_hidden()  # a button that would do nothing is not offered

    register.register(credentials).wait_until_loaded()  # the same form, right this time


def test_a_wrong_password_is_announced_and_the_account_email_kept(
    page: Page, account: Credentials
) -> None:
    login = LoginPage(page).open()
    login.log_in(account, password="not the right password at all")
    expect(login.summary.box).to_be_focused()
    expect(login.error).to_have_text("That email and password do not match an account.")
    expect(login.email).to_have_value(account.email)
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    login.log_in(account).wait_until_loaded()
    expect(page).not_to_have_title(re.compile(r"^Error"))


# --- Stale forms --------------------------------------------------------------------------


def test_a_stale_sign_in_form_says_it_expired_and_the_second_try_works(
    context: BrowserContext, account: Credentials, base_url: str
) -> None:
    stale = context.new_page()
    login = LoginPage(stale).open()
    other_tab = context.new_page()  # signs in meanwhile: the sign-in page above is stale
    LoginPage(other_tab).open().log_in(account).wait_until_loaded()
    other_tab.close()

    login.fill(account.email, account.password)
    with stale.expect_response(f"{base_url}/login") as refused:
        login.submit.click()

    assert refused.value.status == 403
    assert refused.value.request.headers.get("hx-request") == "true"  # swapped in place
    notice = stale.locator("#expired-notice")
    expect(notice).to_contain_text("expired")
    expect(notice).to_be_focused()
    login.log_in(account).wait_until_loaded()  # the form is ready again: it works
    expect(DashboardPage(stale).user_email).to_have_text(account.email)


def test_a_refused_sign_out_still_leaves_the_browser_signed_out(
    context: BrowserContext, account: Credentials, base_url: str
) -> None:
    stale = context.new_page()
    dashboard = LoginPage(stale).open().log_in(account).wait_until_loaded()
    other_tab = context.new_page()  # signs out and in again: the dashboard above is stale
    DashboardPage(other_tab).open().sign_out()
    LoginPage(other_tab).log_in(account).wait_until_loaded()

    with stale.expect_response(f"{base_url}/logout") as sent:
        dashboard.sign_out()

    assert sent.value.status == 303  # its token was replaced, yet it signs out
    login = LoginPage(stale)
    expect(stale).to_have_url(f"{base_url}/login")
    expect(login.notice).to_contain_text("You are signed out.")
    expect(SiteHeader(stale).register).to_be_visible()
    assert auth_cookie(context) is None
    other_tab.reload()
    expect(other_tab).to_have_url(re.compile(r"/login\?next="))  # this browser: signed out
    other_tab.close()


# --- Passwords ------------------------------------------------------------------------------


def test_the_strength_hint_keeps_working_after_an_error(
    page: Page, credentials: Credentials
) -> None:
    console = _console(page)
    register = RegisterPage(page).open()
    register.fill(Credentials(email=credentials.email, password="passwordpassword"))
    expect(register.hint).to_contain_text("Will be refused.")
    register.submit.click()
    expect(field_error(page, "password")).to_contain_text("too easy to guess")
    wait_until_settled(page)  # the form swapped in is wired from here on
    expect(register.hint).to_be_visible()  # still there, under the field with the error
    page.evaluate("window.__hint = document.getElementById('password-hint')")

    register.password.fill("short")
    expect(register.hint).to_contain_text("7 more needed. Will be refused.")
    register.password.fill(STRONG)
    expect(register.hint).to_contain_text("OK to use.")
    assert page.evaluate("document.getElementById('password-hint') === window.__hint")
    expect(field_error(page, "password")).to_have_count(0)  # the stale error is gone
    expect(register.password).not_to_have_attribute("aria-invalid", "true")
    assert not [m for m in console if "targetError" in m or "htmx:" in m]

    register.password_confirm.fill(STRONG)
    register.submit.click()
    DashboardPage(page).wait_until_loaded()
    password = PasswordPage(page).open()
    password.change(STRONG, "passwordpassword", confirm="passwordpassword")
    expect(field_error(page, "new_password")).to_contain_text("too easy to guess")
    wait_until_settled(page)
    password.new.fill(PASSWORD)
    expect(password.hint).to_contain_text("OK to use.")
    expect(field_error(page, "new_password")).to_have_count(0)
    assert not [m for m in console if "targetError" in m]


def test_change_password_asks_twice_and_every_password_can_be_shown(
    page: Page, credentials: Credentials
) -> None:
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    password = PasswordPage(page).open()
    expect(password.page.locator("#username")).to_have_value(credentials.email)  # managers

    password.change(credentials.password, STRONG, confirm=STRONG + " typo")
    expect(password.summary.box).to_be_focused()
    expect(field_error(page, "new_password_confirm")).to_contain_text(
        "The two passwords do not match."
    )

    labels = ["Current password", "New password", "New password again"]
    for label in labels:
        expect(show_button(page, label)).to_be_visible()
    field = page.get_by_label("New password", exact=True)
    field.fill(STRONG)
    toggle = show_button(page, "New password")
    toggle.click()
    expect(field).to_have_attribute("type", "text")
    hide = page.get_by_role("button", name="Hide new password", exact=True)
    expect(hide).to_have_text("Hide")  # says what it will do, GOV.UK's way
    expect(hide).not_to_have_attribute("aria-pressed", re.compile(".*"))
    hide.click()
    expect(field).to_have_attribute("type", "password")
    toggle.click()
    password.current.fill(credentials.password)
    password.confirm.fill(STRONG)
    password.submit.click()
    expect(password.done).to_contain_text("Your password was changed")
    expect(page.locator("#password-changed-banner")).to_be_focused()  # a confirmation, read first


# --- Sessions -----------------------------------------------------------------------------


def test_revoke_buttons_name_their_device_and_a_revoke_is_announced(
    page: Page, new_context: CreateContextCallback, credentials: Credentials
) -> None:
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    devices = {"Firefox on Windows": FIREFOX_ON_WINDOWS, "Safari on iOS": SAFARI_ON_IPHONE}
    others = []
    for user_agent in devices.values():
        other = new_context(user_agent=user_agent)
        LoginPage(other.new_page()).open().log_in(credentials).wait_until_loaded()
        others.append(other)

    sessions = SessionsPage(page).open()
    expect(sessions.rows).to_have_count(3)
    expect(sessions.rows.first).to_contain_text("This device")  # this device first
    buttons = sessions.sign_out_buttons()
    expect(buttons).to_have_count(2)
    for i, device in enumerate(sorted(devices)):  # heard by a screen reader, device first
        expect(sessions.sign_out_button(device)).to_have_count(1)
        expect(buttons.nth(i)).to_have_accessible_name(
            re.compile(r"^Sign out (Firefox on Windows|Safari on iOS), signed in ")
        )
    names = {buttons.nth(i).get_attribute("aria-label") or "" for i in range(2)}
    assert names == {""}, names  # the visible "Sign out" begins the name (WCAG 2.5.3)

    sessions.sign_out_button("Firefox on Windows").click()
    expect(sessions.announcement).to_have_text("Firefox on Windows was signed out.")
    expect(sessions.announcement).to_be_focused()
    expect(sessions.rows).to_have_count(2)
    expect(sessions.activity.get_by_role("row").nth(1)).to_contain_text("Session ended")
    expect(sessions.sign_out_others).to_be_visible()  # Safari on iOS is still signed in

    sessions.sign_out_others.click()
    expect(sessions.ended).to_contain_text("Signed out 1 other session.")
    expect(sessions.rows).to_have_count(1)
    expect(sessions.sign_out_others).to_have_count(0)  # only while there is another
    for other in others:
        other.close()


def test_the_session_ended_notice_survives_three_requests_answered_at_once(
    page: Page, new_context: CreateContextCallback, credentials: Credentials, base_url: str
) -> None:
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    dashboard.open_how_this_works()
    other = new_context(user_agent=FIREFOX_ON_WINDOWS)
    other_page = other.new_page()
    LoginPage(other_page).open().log_in(credentials).wait_until_loaded()
    sessions = SessionsPage(other_page).open()
    sessions.sign_out_buttons().click()  # the first device: the one showing the dashboard
    expect(sessions.announcement).to_contain_text("was signed out")
    other.close()

    # Each panel's request is answered 401 with HX-Redirect. Hold the three answers and
    # hand them to the page in one go, so the race (each redirect restarting the
    # navigation, the one-shot notice read by a page nobody sees) happens every run.
    held: list[Route] = []

    def answer_together(route: Route) -> None:
        held.append(route)
        if len(held) == PANELS:
            answers = [each.fetch() for each in held]
            for each, answer in zip(held, answers, strict=True):
                each.fulfill(response=answer)

    navigations: list[str] = []
    page.on(
        "request",
        lambda r: navigations.append(r.url) if r.is_navigation_request() else None,
    )
    page.route(f"{base_url}/dashboard", answer_together)
    dashboard.refresh()

    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$"))
    expect(LoginPage(page).notice).to_have_text("Your session has ended. Please sign in again.")
    page.unroute(f"{base_url}/dashboard")
    assert len(held) == PANELS
    assert [url for url in navigations if "/login" in url] == [
        f"{base_url}/login?next=%2Fdashboard"
    ]  # followed once


# --- The dashboard --------------------------------------------------------------------------


def test_the_dashboard_says_first_until_when_this_device_stays_signed_in(
    page: Page, credentials: Credentials
) -> None:
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    expect(dashboard.welcome).to_contain_text("Account created")
    expect(dashboard.stay_signed_in).to_contain_text(
        "You'll stay signed in on this device until about"
    )
    expect(dashboard.stay_signed_in).to_contain_text("and at most until")
    expect(dashboard.stay_signed_in.locator("time[datetime]")).to_have_count(2)
    expect(dashboard.tier).to_be_hidden()  # the mechanism waits behind "How this works"
    dashboard.open_how_this_works()
    expect(dashboard.tier).to_contain_text("token alone")
    expect(dashboard.access_until.locator("time[datetime]")).to_have_count(1)
    expect(SiteHeader(page).current).to_have_text("Dashboard")  # aria-current="page"
