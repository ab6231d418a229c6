"""The account is the person's (issue 21): deleting it in the browser, with JavaScript on
(htmx) and off (plain forms); and the "not me" link of a new-device alert, which ends the
other browser's session."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pytest
from audit import Audit
from harness import Credentials
from pages import DashboardPage, LoginPage
from pages.account_delete import DeleteAccountPage, NotMePage
from playwright.sync_api import expect
from pytest_playwright import CreateContextCallback

from tests.support.smtp import MailCatcher, link_in

JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
DELETED = "Your account was deleted"
WRONG_PASSWORD = "That is not your current password."
BAD_CREDENTIALS = "That email and password do not match an account."


def _subject_has(word: str) -> Callable[[EmailMessage], bool]:
    return lambda message: word in str(message["Subject"]).lower()


@JAVASCRIPT
def test_an_account_is_deleted_from_the_dashboard(
    new_context: CreateContextCallback,
    account: Credentials,
    mail: MailCatcher,
    base_url: str,
    javascript: bool,
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    LoginPage(page).open().log_in(account).wait_until_loaded()
    page.get_by_role("link", name="Delete your account").click()
    form = DeleteAccountPage(page)
    expect(form.heading).to_be_visible()
    expect(form.what_goes).to_contain_text("activity log")

    form.delete(account.email, "not my password at all")
    expect(form.summary.items).to_have_text([WRONG_PASSWORD])
    if javascript:  # the page as htmx left it; axe needs JavaScript
        audit = Audit()
        audit.check(page, "delete account", "wrong password")
        audit.assert_clean()
    form.delete(account.email, account.password)

    login = LoginPage(page)
    expect(page).to_have_url(f"{base_url}/login")
    expect(login.notice).to_contain_text(DELETED)
    assert len(mail.wait_for(account.email, where=_subject_has("deleted"))) == 1
    login.log_in(account)
    expect(login.error).to_have_text([BAD_CREDENTIALS])


def test_the_alerts_not_me_link_ends_the_other_browsers_session(
    new_context: CreateContextCallback, account: Credentials, mail: MailCatcher, base_url: str
) -> None:
    intruder = new_context().new_page()  # a browser the account has never seen
    LoginPage(intruder).open().log_in(account).wait_until_loaded()
    (alert,) = mail.wait_for(account.email, where=_subject_has("new sign-in"))
    link = link_in(alert)
    assert link.startswith(f"{base_url}/not-me?token=")

    owner = new_context().new_page()
    owner.goto(link)
    report = NotMePage(owner)
    expect(report.heading).to_be_visible()
    expect(report.report).to_contain_text("Chrome")
    audit = Audit()
    audit.check(owner, "not me", "the sign-in")
    intruder.reload()  # opening the link changed nothing
    expect(DashboardPage(intruder).user_email).to_have_text(account.email)

    report.not_me.click()
    expect(report.done).to_be_visible()
    expect(report.reset).to_have_attribute("href", "/forgot-password")
    audit.check(owner, "not me", "ended")
    audit.assert_clean()
    intruder.goto("/dashboard")
    expect(intruder).to_have_url(f"{base_url}/login?next=%2Fdashboard")
