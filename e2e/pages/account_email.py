"""The change-email page."""

from __future__ import annotations

from playwright.sync_api import Page

__all__ = ["AccountEmailPage"]


class AccountEmailPage:
    PATH = "/account/email"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Change your email address")
        self.new_email = page.get_by_label("New email address", exact=True)
        self.current = page.get_by_label("Current password", exact=True)
        self.submit = page.get_by_role("button", name="Send the link")
        self.sent = page.locator("#email-sent")

    def open(self) -> AccountEmailPage:
        self.page.goto(self.PATH)
        return self

    def ask(self, new_email: str, current_password: str) -> None:
        self.new_email.fill(new_email)
        self.current.fill(current_password)
        self.submit.click()
