"""The sessions page: every device signed in, each with a way to sign it out."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

__all__ = ["SessionsPage"]


class SessionsPage:
    PATH = "/sessions"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Your sessions")
        self.rows = page.locator("#session-list > li")
        self.this_device = page.get_by_text("This device")
        self.sign_out_others = page.get_by_role("button", name="Sign out every other session")
        self.activity = page.get_by_role("table")
        self.announcement = page.locator("#revoke-announcement")  # "... was signed out."
        self.ended = page.locator("#ended-notice")  # "Signed out 2 other sessions."

    def open(self) -> SessionsPage:
        self.page.goto(self.PATH)
        return self

    def sign_out_buttons(self) -> Locator:
        """The per-device "sign out" buttons (this device has none)."""
        return self.rows.get_by_role("button", name=re.compile(r"^Sign out "))

    def sign_out_button(self, device: str) -> Locator:
        """The button that signs out the device described as ``device``."""
        return self.rows.get_by_role("button", name=re.compile(rf"^Sign out {re.escape(device)}"))
