"""Issue 13: every page and state, through axe-core, at desktop and phone sizes, light and
dark; a screenshot of each under ``var/screenshots/`` for a reviewer to look at.

Zero violations of impact serious or critical (WCAG 2.2 AA and best practice), and no
page scrolls sideways. Three walks, one account each: someone who is not signed in (sign in,
register, the forgotten-password pages, the error pages) and someone who is, twice (dashboard
and sessions with two devices; password and email forms), with forms whose page had expired.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from audit import SCREENSHOTS, Audit
from harness import PASSWORD, Credentials
from pages import (
    AccountEmailPage,
    DashboardPage,
    LoginPage,
    PasskeysPage,
    PasswordPage,
    ReauthPage,
    RecoveryCodesPage,
    RegisterPage,
    SecurityPage,
    SessionsPage,
    SignOutPage,
    TotpPage,
    TwoFactorPage,
    VirtualAuthenticator,
)
from pages.security import code_at
from playwright.sync_api import BrowserContext, Page, expect
from pytest_playwright import CreateContextCallback

from tests.support.live import ServerClock
from tests.support.smtp import MailCatcher, link_in

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
NEW_PASSWORD = "copper kettle winter harbour 7"
CSRF_COOKIE = "csrf"  # its name when APP_COOKIE_SECURE=false


def _link(mail: MailCatcher, to: str, subject: str) -> str:
    """The link in the newest mail to ``to`` whose subject says ``subject``."""
    found = mail.wait_for(to, where=lambda m: subject in str(m["Subject"]).lower())
    assert found, f"no mail about {subject!r} to {to}"
    return link_in(found[-1])


@pytest.fixture(scope="module", autouse=True)
def fresh_screenshots() -> None:
    """The screenshots a reviewer finds are this run's: none left from an older one."""
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()


@pytest.fixture
def audit() -> Iterator[Audit]:
    found = Audit()
    yield found
    found.assert_clean()


def _stale(context: BrowserContext) -> None:
    """Make every form on the open pages stale, as signing in or out in another tab does:
    the browser's CSRF cookie is replaced."""
    context.clear_cookies(name=CSRF_COOKIE)


def test_every_page_someone_signed_out_sees(
    page: Page, credentials: Credentials, mail: MailCatcher, audit: Audit
) -> None:
    login = LoginPage(page).open()
    audit.check(page, "login", "empty")

    login.log_in(credentials, password="not the password at all")  # nobody has this email
    expect(login.summary.box).to_be_focused()
    audit.check(page, "login", "errors")

    register = RegisterPage(page).open()
    audit.check(page, "register", "empty")
    register.email.fill("not an email")
    register.password.fill("short")
    register.password_confirm.fill("something else")
    register.submit.click()
    expect(register.summary.items).to_have_count(3)
    audit.check(page, "register", "errors")

    register.register(credentials).wait_until_loaded()
    DashboardPage(page).sign_out()
    expect(login.notice).to_contain_text("You are signed out.")
    audit.check(page, "login", "signed out")

    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    audit.check(page, "forgot password", "empty")
    email = page.get_by_label("Email", exact=True)
    send = page.get_by_role("button", name="Send the link")
    email.fill("no at sign")
    send.click()
    expect(page.locator("#error-summary")).to_be_focused()
    audit.check(page, "forgot password", "errors")
    email.fill(credentials.email)
    send.click()
    expect(page.locator("#forgot-sent")).to_be_visible()
    audit.check(page, "forgot password", "sent")

    page.goto(_link(mail, credentials.email, "reset"))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    audit.check(page, "reset password", "empty")
    page.get_by_label("New password", exact=True).fill("passwordpassword")
    page.get_by_label("New password again", exact=True).fill("passwordpasswort")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#error-summary")).to_be_focused()
    audit.check(page, "reset password", "errors")

    page.goto("/reset-password?token=not-a-token-we-sent")
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    audit.check(page, "link unusable", "reset")

    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    audit.check(page, "error", "404 not found")

    SignOutPage(page).open()
    expect(SignOutPage(page).heading).to_be_visible()
    audit.check(page, "sign out", "get")


def test_the_dashboard_and_sessions_pages(
    page: Page,
    new_context: CreateContextCallback,
    credentials: Credentials,
    mail: MailCatcher,
    audit: Audit,
) -> None:
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    expect(dashboard.welcome).to_contain_text("Account created")
    audit.check(page, "dashboard", "account created")
    dashboard.open_how_this_works()
    audit.check(page, "dashboard", "how this works open")

    _stale(page.context)  # signed in or out in another tab: the forms of this page have expired
    page.get_by_role("button", name="Send the link again").click()  # a plain form
    expect(page.locator("#expired-notice")).to_contain_text("Nothing was sent")
    audit.check(page, "dashboard", "403 page expired")

    page.goto(_link(mail, credentials.email, "confirm"))
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    audit.check(page, "confirm link", "verify email")

    laptop = new_context(user_agent=FIREFOX_ON_WINDOWS)
    LoginPage(laptop.new_page()).open().log_in(credentials).wait_until_loaded()
    sessions = SessionsPage(page).open()
    expect(sessions.rows).to_have_count(2)
    audit.check(page, "sessions", "two devices")
    _stale(page.context)
    sessions.sign_out_button("Firefox on Windows").click()  # htmx: the list comes back
    expect(page.locator("#expired-notice")).to_contain_text("Nothing was signed out")
    expect(sessions.rows).to_have_count(2)
    audit.check(page, "sessions", "403 page expired")
    sessions.sign_out_button("Firefox on Windows").click()  # the fresh token works
    expect(sessions.announcement).to_be_focused()
    audit.check(page, "sessions", "after signing out a device")
    LoginPage(laptop.new_page()).open().log_in(credentials).wait_until_loaded()
    sessions.open().sign_out_others.click()
    expect(sessions.ended).to_contain_text("Signed out 1 other session.")
    audit.check(page, "sessions", "after signing out the others")
    laptop.close()


def test_the_password_and_email_pages(page: Page, credentials: Credentials, audit: Audit) -> None:
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    password = PasswordPage(page).open()
    expect(password.heading).to_be_visible()
    audit.check(page, "password", "empty")
    password.change("not my password", "passwordpassword", confirm="passwordpasswort")
    expect(password.summary.box).to_be_focused()
    audit.check(page, "password", "errors")
    password.change(PASSWORD, NEW_PASSWORD)
    expect(password.done).to_contain_text("Your password was changed")
    audit.check(page, "password", "changed")

    email = AccountEmailPage(page).open()
    expect(email.heading).to_be_visible()
    audit.check(page, "account email", "empty")
    email.ask(credentials.email, "")
    expect(page.locator("#error-summary")).to_be_focused()
    audit.check(page, "account email", "errors")
    email.ask(f"new-{credentials.email}", NEW_PASSWORD)
    expect(email.sent).to_be_visible()
    audit.check(page, "account email", "sent")
    _stale(page.context)
    email.ask(f"other-{credentials.email}", NEW_PASSWORD)
    expect(page.locator("#expired-notice")).to_contain_text("expired")
    audit.check(page, "account email", "403 page expired")

    page.goto("/example")  # README's recipe: a guarded page of the operator's own
    expect(page.get_by_role("heading", name="A page of your own")).to_be_visible()
    audit.check(page, "example", "empty")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_label("Message")).to_have_attribute("aria-invalid", "true")
    audit.check(page, "example", "errors")
    page.get_by_label("Message").fill("hello")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#said")).to_contain_text("hello")
    audit.check(page, "example", "sent")

    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    audit.check(page, "error", "404 signed in")


def test_the_security_pages_and_the_second_step(
    page: Page, credentials: Credentials, server_clock: ServerClock, audit: Audit
) -> None:
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    security = SecurityPage(page).open()
    expect(security.heading).to_be_visible()
    audit.check(page, "security", "app off")

    server_clock.advance(timedelta(minutes=6))  # the proof of signing up is too old now
    security.turn_on.click()
    reauth = ReauthPage(page)
    expect(reauth.heading).to_be_visible()
    audit.check(page, "confirm it's you", "empty")
    reauth.confirm("not the password")
    expect(reauth.summary.box).to_be_focused()
    audit.check(page, "confirm it's you", "errors")
    reauth.confirm(PASSWORD)

    totp = TotpPage(page)
    expect(totp.qr).to_be_visible()
    audit.check(page, "authenticator app", "set up")
    totp.confirm("000000")
    expect(totp.summary.box).to_be_focused()
    audit.check(page, "authenticator app", "errors")
    secret = totp.secret()
    totp.confirm(code_at(secret, server_clock.now()))
    codes = RecoveryCodesPage(page)
    expect(codes.listed).to_have_count(10)
    audit.check(page, "recovery codes", "shown once")
    page.reload()
    expect(codes.left).to_contain_text("10")
    audit.check(page, "recovery codes", "later")
    SecurityPage(page).open()
    audit.check(page, "security", "app on")
    TotpPage(page).open()
    expect(totp.turn_off).to_be_visible()
    audit.check(page, "authenticator app", "on")

    DashboardPage(page).open().sign_out().log_in(credentials)
    two_factor = TwoFactorPage(page)
    expect(two_factor.heading).to_be_visible()
    audit.check(page, "two-factor sign-in", "empty")
    two_factor.enter("000000")
    expect(two_factor.summary.box).to_be_focused()
    audit.check(page, "two-factor sign-in", "errors")


def test_the_passkey_pages(page: Page, credentials: Credentials, audit: Audit) -> None:
    VirtualAuthenticator(page)
    RegisterPage(page).open().register(credentials).wait_until_loaded()
    passkeys = PasskeysPage(page).open()
    expect(passkeys.add).to_be_visible()
    audit.check(page, "passkeys", "none yet")
    passkeys.name.fill("Work laptop")
    passkeys.add.click()
    expect(passkeys.listed).to_have_count(1)
    audit.check(page, "passkeys", "one added")
    SecurityPage(page).open()
    audit.check(page, "security", "with a passkey")
    passkeys.open().delete_button("Work laptop").click()
    expect(passkeys.listed).to_have_count(0)
    DashboardPage(page).open().sign_out()
    page.get_by_role("button", name="Sign in with a passkey").click()  # deleted: refused
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check(page, "login", "passkey refused")
