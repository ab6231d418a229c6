"""A person who forgot their password, and one who has to confirm their address: the mail
comes from the deployment's outbox to a real SMTP server (aiosmtpd), the person opens the
link in the browser. With JavaScript on (htmx) and off (plain forms)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage

import pytest
from harness import Credentials
from pages import LoginPage, RegisterPage
from pages.recovery import ConfirmAddressPage, ForgotPasswordPage, ResetPasswordPage
from playwright.sync_api import expect
from pytest_playwright import CreateContextCallback

from tests.support.smtp import MailCatcher, link_in

NEW_PASSWORD = "copper heron drifts at dawn 58"
SENT = "If an account exists for that address, we have sent a link to reset its password."
CHANGED = "Your password was changed. Sign in with the new one."
JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def _subject_has(*words: str) -> Callable[[EmailMessage], bool]:
    return lambda message: any(word in str(message["Subject"]).lower() for word in words)


@JAVASCRIPT
def test_a_forgotten_password_is_reset_by_mail_and_every_other_device_signed_out(
    new_context: CreateContextCallback,
    account: Credentials,
    mail: MailCatcher,
    base_url: str,
    javascript: bool,
) -> None:
    laptop = new_context().new_page()  # signed in elsewhere, before the reset
    LoginPage(laptop).open().log_in(account).wait_until_loaded()
    page = new_context(java_script_enabled=javascript).new_page()

    LoginPage(page).open()
    page.get_by_role("link", name="Forgot your password?").click()
    forgot = ForgotPasswordPage(page)
    expect(forgot.heading).to_be_visible()
    forgot.ask_for(account.email)
    expect(forgot.sent).to_have_text(SENT)

    (reset_mail,) = mail.wait_for(account.email, where=_subject_has("reset"))
    link = link_in(reset_mail)
    assert link.startswith(f"{base_url}/reset-password?token=")
    page.goto(link)
    ResetPasswordPage(page).choose(NEW_PASSWORD)

    login = LoginPage(page)
    expect(page).to_have_url(f"{base_url}/login")
    expect(login.notice).to_contain_text(CHANGED)
    login.log_in(replace(account, password=NEW_PASSWORD)).wait_until_loaded()
    (notice,) = mail.wait_for(account.email, where=_subject_has("your password was changed"))
    assert "reset-password" not in str(notice)  # the notice carries no link that resets

    laptop.goto("/dashboard")  # the laptop's session ended with the reset
    expect(laptop).to_have_url(f"{base_url}/login?next=%2Fdashboard")
    LoginPage(laptop).log_in(account)  # and the old password no longer works
    expect(LoginPage(laptop).error).to_have_count(1)


@JAVASCRIPT
def test_the_verification_notice_goes_once_the_address_is_confirmed(
    new_context: CreateContextCallback,
    credentials: Credentials,
    mail: MailCatcher,
    base_url: str,
    javascript: bool,
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    status = page.locator("#email-status")
    expect(status).to_contain_text("not verified")
    expect(page.get_by_role("button", name="Send the link again")).to_be_visible()

    (check,) = mail.wait_for(credentials.email, where=_subject_has("verify", "confirm"))
    link = link_in(check)
    assert link.startswith(f"{base_url}/verify-email?token=")
    page.goto(link)
    confirm = ConfirmAddressPage(page)
    expect(confirm.heading).to_be_visible()
    confirm.confirm.click()

    dashboard.wait_until_loaded()
    expect(status).to_have_text("Your email address is verified.")
    expect(page.get_by_role("button", name="Send the link again")).to_have_count(0)
    page.reload()  # the new token says so too, not only this answer
    expect(status).to_have_text("Your email address is verified.")
