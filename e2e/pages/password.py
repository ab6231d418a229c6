"""The change-password page."""

from __future__ import annotations

from playwright.sync_api import Page

from pages.forms import ErrorSummary

__all__ = ["PasswordPage"]


class PasswordPage:
    PATH = "/account/password"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Change your password")
        self.form = page.locator("#password-form")
        self.current = page.get_by_label("Current password", exact=True)
        self.new = page.get_by_label("New password", exact=True)
        self.confirm = page.get_by_label("New password again", exact=True)
        self.submit = page.get_by_role("button", name="Change password")
        self.summary = ErrorSummary(page)
        self.hint = page.locator("#new_password-hint")  # the live strength hint
        self.done = page.locator("#password-changed")

    def open(self) -> PasswordPage:
        self.page.goto(self.PATH)
        return self

    def change(self, current: str, new: str, confirm: str | None = None) -> None:
        """Fill in the form and submit it (``confirm``: what goes in "New password again",
        the new password itself unless given)."""
        self.current.fill(current)
        self.new.fill(new)
        self.confirm.fill(new if confirm is None else confirm)
        self.submit.click()
