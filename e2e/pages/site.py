"""The parts of every page: the header with its navigation and "Sign out", the skip link;
and the pages that are not forms: the sign-out page (GET /logout) and the error pages."""

from __future__ import annotations

from playwright.sync_api import Page

__all__ = ["ErrorPage", "SignOutPage", "SiteHeader"]


class SiteHeader:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.nav = page.get_by_role("navigation", name="Account")
        self.sign_out = self.nav.get_by_role("button", name="Sign out", exact=True)
        self.sign_in = self.nav.get_by_role("link", name="Sign in", exact=True)
        self.register = self.nav.get_by_role("link", name="Register", exact=True)
        self.current = self.nav.locator("[aria-current='page']")
        self.skip_link = page.get_by_role("link", name="Skip to main content")


class SignOutPage:
    """``GET /logout``: a 405 that asks, in plain words, with a Sign out button."""

    PATH = "/logout"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Sign out of this browser?")
        self.sign_out = page.get_by_role("main").get_by_role("button", name="Sign out")

    def open(self) -> SignOutPage:
        self.page.goto(self.PATH)
        return self


class ErrorPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("main").get_by_role("heading", level=1)
        self.start = page.get_by_role("link", name="Go to the start page")
