"""What every form page shares: the error summary, the field errors, the "Show" buttons."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

__all__ = ["ErrorSummary", "field_error", "show_button"]


class ErrorSummary:
    """GOV.UK's error summary: "There is a problem", each error a link to its field."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.box = page.locator("#error-summary")
        self.title = self.box.get_by_role("heading", name="There is a problem")
        self.alert = self.box.get_by_role("alert")
        self.links = self.box.get_by_role("link")
        self.items = self.box.get_by_role("listitem")


def field_error(page: Page, name: str) -> Locator:
    """The error message under the field named ``name``."""
    return page.locator(f"#{name}-error")


def show_button(page: Page, label: str) -> Locator:
    """The "Show" button of the password field labelled ``label``."""
    return page.get_by_role("button", name=f"Show {label.lower()}", exact=True)
