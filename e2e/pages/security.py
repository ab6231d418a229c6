"""The Security page and the pages it leads to: the authenticator app, recovery codes,
"Confirm it's you", and the second step of signing in."""

from __future__ import annotations

from datetime import datetime

import pyotp
from playwright.sync_api import Page

from pages.forms import ErrorSummary

__all__ = ["ReauthPage", "RecoveryCodesPage", "SecurityPage", "TotpPage", "TwoFactorPage"]


def code_at(secret: str, when: datetime) -> str:
    """What the person's authenticator app shows at ``when`` (the server's clock)."""
    return pyotp.TOTP(secret).at(when)


class SecurityPage:
    PATH = "/account/security"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Security", exact=True)
        self.totp_status = page.locator("#totp-status")
        self.codes_left = page.locator("#codes-left")
        self.turn_on = page.get_by_role("link", name="Turn on the authenticator app")
        self.turn_off = page.get_by_role("link", name="Turn off the authenticator app")
        self.codes = page.get_by_role("link", name="See or make new recovery codes")

    def open(self) -> SecurityPage:
        self.page.goto(self.PATH)
        return self


class TotpPage:
    PATH = "/account/totp"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Authenticator app")
        self.qr = page.get_by_role("img", name="QR code for your authenticator app")
        self.secret_text = page.locator("#totp-secret")
        self.code = page.get_by_label("Enter the six-digit code the app shows")
        self.submit = page.get_by_role("button", name="Turn on", exact=True)
        self.turn_off = page.get_by_role("button", name="Turn off the authenticator app")
        self.summary = ErrorSummary(page)

    def open(self) -> TotpPage:
        self.page.goto(self.PATH)
        return self

    def secret(self) -> str:
        return self.secret_text.inner_text().replace(" ", "")

    def confirm(self, code: str) -> None:
        self.code.fill(code)
        self.submit.click()


class RecoveryCodesPage:
    PATH = "/account/recovery-codes"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Recovery codes", exact=True)
        self.listed = page.locator("#recovery-codes code")
        self.left = page.locator("#codes-left")
        self.make_new = page.get_by_role("button", name="Make new recovery codes")

    def codes(self) -> list[str]:
        return self.listed.all_inner_texts()


class ReauthPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Confirm it's you")
        self.password = page.get_by_label("Password", exact=True)
        self.submit = page.get_by_role("button", name="Continue")
        self.summary = ErrorSummary(page)

    def confirm(self, password: str) -> None:
        self.password.fill(password)
        self.submit.click()


class TwoFactorPage:
    PATH = "/login/two-factor"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Enter your code")
        self.code = page.get_by_label("Code", exact=True)
        self.submit = page.get_by_role("button", name="Sign in", exact=True)
        self.start_again = page.get_by_role("link", name="Start again with your password")
        self.summary = ErrorSummary(page)

    def enter(self, code: str) -> None:
        self.code.fill(code)
        self.submit.click()
