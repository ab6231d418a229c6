"""The dashboard: who is signed in, until when, and (behind "How this works") when the
access window, token and session end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:
    from pages.login import LoginPage

__all__ = ["DashboardPage"]


class DashboardPage:
    PATH = "/dashboard"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Dashboard")
        self.user_email = page.locator("#user-email")
        self.stay_signed_in = page.locator("#stay-signed-in")  # the one sentence first
        self.welcome = page.locator("#welcome")  # "Account created", once
        self.how_this_works = page.locator("details", has=page.get_by_text("How this works"))
        self.how_summary = page.get_by_text("How this works", exact=True)
        self.session_started = page.get_by_test_id("session-started")
        self.session_expires = page.get_by_test_id("session-expires")
        self.access_until = page.get_by_test_id("access-until")
        self.token_expires = page.get_by_test_id("token-expires")
        self.server_now = page.get_by_test_id("server-now")
        self.tier = page.get_by_test_id("tier")
        self.refresh_all = page.get_by_role("button", name="Check again")
        self.sign_out_button = page.get_by_role("navigation", name="Account").get_by_role(
            "button", name="Sign out", exact=True
        )

    def open(self) -> DashboardPage:
        self.page.goto(self.PATH)
        return self

    def wait_until_loaded(self) -> DashboardPage:
        """After a form submit: wait until the dashboard is the page shown."""
        self.page.wait_for_url(f"**{self.PATH}")
        expect(self.user_email).to_be_visible()
        return self

    def open_how_this_works(self) -> DashboardPage:
        if self.how_this_works.get_attribute("open") is None:
            self.how_summary.click()
        expect(self.refresh_all).to_be_visible()
        return self

    def refresh(self) -> None:
        """Press "Check again": each panel reloads with its own htmx request, at once."""
        self.open_how_this_works()
        self.refresh_all.click()

    def sign_out(self) -> LoginPage:
        from pages.login import LoginPage  # noqa: PLC0415 - the two pages lead to each other

        self.sign_out_button.click()
        return LoginPage(self.page)

    @staticmethod
    def moment(cell: Locator) -> str:
        """The moment a cell shows (its ``<time datetime>``), without "(in 3 hours)"."""
        return str(cell.locator("time").first.get_attribute("datetime"))
