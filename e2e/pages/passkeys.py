"""The passkeys page, and Chromium's virtual authenticator (CDP's WebAuthn domain): the
only browser that has one, so passkeys are tested in Chromium."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

__all__ = ["PasskeysPage", "VirtualAuthenticator"]


class PasskeysPage:
    PATH = "/account/passkeys"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.heading = page.get_by_role("heading", name="Passkeys", exact=True)
        self.name = page.get_by_label("Name", exact=True)
        self.add = page.get_by_role("button", name="Add a passkey")
        self.listed = page.locator("#passkey-list .passkey-item")
        self.needs_js = page.get_by_text("Adding a passkey needs a browser with JavaScript on.")
        self.notice = page.locator("#passkeys-notice")

    def open(self) -> PasskeysPage:
        self.page.goto(self.PATH)
        return self

    def delete_button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=f"Delete the passkey {name}")


class VirtualAuthenticator:
    """A platform authenticator with resident keys and user verification, on this page's
    browser target: what a laptop's fingerprint reader or a phone's screen lock is."""

    def __init__(self, page: Page) -> None:
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.send("WebAuthn.enable", {"enableUI": False})
        added = self._cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.id = added["authenticatorId"]

    def credentials(self) -> list[dict[str, Any]]:
        found = self._cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        return list(found["credentials"])

    def fail_user_verification(self) -> None:
        self._cdp.send(
            "WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": False}
        )
