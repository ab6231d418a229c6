"""The pages a mailed link leads to: "Forgot your password?", "Choose a new password", and
the confirm button of an address check."""

from __future__ import annotations

from playwright.sync_api import Page

from pages.forms import ErrorSummary

__all__ = ["ConfirmAddressPage", "ForgotPasswordPage", "ResetPasswordPage"]


class ForgotPasswordPage:
    PATH = "/forgot-password"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Forgot your password?")
        self.email = page.get_by_label("Email", exact=True)
        self.submit = page.get_by_role("button", name="Send the link")
        self.sent = page.locator("#forgot-sent")  # "If an account exists for that address..."

    def open(self) -> ForgotPasswordPage:
        self.page.goto(self.PATH)
        return self

    def ask_for(self, email: str) -> None:
        self.email.fill(email)
        self.submit.click()


class ResetPasswordPage:
    """Where the reset link leads (``/reset-password?token=...``)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Choose a new password")
        self.new = page.get_by_label("New password", exact=True)
        self.confirm = page.get_by_label("New password again", exact=True)
        self.submit = page.get_by_role("button", name="Set the new password")
        self.summary = ErrorSummary(page)

    def choose(self, password: str) -> None:
        self.new.fill(password)
        self.confirm.fill(password)
        self.submit.click()


class ConfirmAddressPage:
    """Where a check link leads (``/verify-email?token=...``): a button, nothing more."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Confirm your email address")
        self.confirm = page.get_by_role("button", name="Confirm")
