"""The sign-in page."""

from __future__ import annotations

from urllib.parse import quote

from harness import Credentials
from playwright.sync_api import Page

from pages.dashboard import DashboardPage
from pages.forms import ErrorSummary

__all__ = ["LoginPage"]


class LoginPage:
    PATH = "/login"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Sign in")
        self.form = page.locator("#login-form")
        self.email = page.get_by_label("Email", exact=True)
        self.password = page.get_by_label("Password", exact=True)
        self.submit = page.get_by_role("button", name="Sign in", exact=True)
        self.notice = page.locator("#page-notice")  # "Your session expired...", etc.
        self.summary = ErrorSummary(page)  # "There is a problem", focused after a failed try
        self.error = self.summary.items  # each error the form was refused with

    def open(self, next_url: str | None = None) -> LoginPage:
        query = "" if next_url is None else "?next=" + quote(next_url, safe="")
        self.page.goto(self.PATH + query)
        return self

    def fill(self, email: str, password: str) -> None:
        self.email.fill(email)
        self.password.fill(password)

    def log_in(self, credentials: Credentials, *, password: str | None = None) -> DashboardPage:
        """Submit the form (with ``password`` instead of the right one, if given)."""
        self.fill(credentials.email, credentials.password if password is None else password)
        self.submit.click()
        return DashboardPage(self.page)
