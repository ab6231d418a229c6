"""The change-password page."""

from __future__ import annotations

from playwright.sync_api import Page

__all__ = ["PasswordPage"]


class PasswordPage:
    PATH = "/account/password"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Change your password")
        self.current = page.get_by_label("Current password", exact=True)
        self.new = page.get_by_label("New password", exact=True)
        self.submit = page.get_by_role("button", name="Change password")

    def open(self) -> PasswordPage:
        self.page.goto(self.PATH)
        return self

    def change(self, current: str, new: str) -> None:
        self.current.fill(current)
        self.new.fill(new)
        self.submit.click()
