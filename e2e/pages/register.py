"""The registration page."""

from __future__ import annotations

from harness import Credentials
from playwright.sync_api import Page

from pages.dashboard import DashboardPage
from pages.forms import ErrorSummary

__all__ = ["RegisterPage"]


class RegisterPage:
    PATH = "/register"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.locator("#register-form")
        self.email = page.get_by_label("Email", exact=True)
        self.password = page.get_by_label("Password", exact=True)
        self.password_confirm = page.get_by_label("Confirm password", exact=True)
        self.submit = page.get_by_role("button", name="Create account")
        self.summary = ErrorSummary(page)
        self.hint = page.locator("#password-hint")  # the live strength hint

    def open(self) -> RegisterPage:
        self.page.goto(self.PATH)
        return self

    def fill(self, credentials: Credentials) -> None:
        self.email.fill(credentials.email)
        self.password.fill(credentials.password)
        self.password_confirm.fill(credentials.password)

    def register(self, credentials: Credentials) -> DashboardPage:
        """Fill in the form and submit it; where a successful registration leads."""
        self.fill(credentials)
        self.submit.click()
        return DashboardPage(self.page)
