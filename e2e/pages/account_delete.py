"""Deleting the account, and the "not me" page of a new-device alert."""

from __future__ import annotations

from playwright.sync_api import Page

from pages.forms import ErrorSummary

__all__ = ["DeleteAccountPage", "NotMePage"]


class DeleteAccountPage:
    PATH = "/account/delete"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Delete your account")
        self.what_goes = page.locator("#what-is-deleted")
        self.confirm_email = page.get_by_label("Type your email address to confirm", exact=True)
        self.password = page.get_by_label("Current password", exact=True)
        self.submit = page.get_by_role("button", name="Delete my account")
        self.summary = ErrorSummary(page)

    def open(self) -> DeleteAccountPage:
        self.page.goto(self.PATH)
        return self

    def delete(self, email: str, password: str) -> None:
        self.confirm_email.fill(email)
        self.password.fill(password)
        self.submit.click()


class NotMePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="A new sign-in to your account")
        self.report = page.locator("#sign-in-report")
        self.not_me = page.get_by_role("button", name="This was not me: end that sign-in")
        self.done = page.get_by_role("heading", name="That sign-in was ended")
        self.reset = page.get_by_role("link", name="Reset your password")
