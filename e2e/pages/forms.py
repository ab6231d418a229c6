"""What every form page shares: the error summary, the field errors, the "Show" buttons."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

__all__ = ["ErrorSummary", "field_error", "show_button", "wait_until_settled"]


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


def wait_until_settled(page: Page) -> None:
    """Wait until htmx has settled every swap: the fields it swapped in are wired.

    htmx shows a form it swapped in (one answered with errors, say) at once, but wires its
    fields (the live strength hint, the htmx submit) only when it settles the swap, 20 ms
    later and more on a busy machine; until then the new form carries ``htmx-added`` and
    the elements it kept ``htmx-settling``. A field typed into before then sends no hint.
    People never type that fast after a submit; a test does unless it waits. (The focus
    is no sign: the browser gives the error summary its autofocus at the swap already.)"""
    expect(page.locator(".htmx-added, .htmx-settling")).to_have_count(0)
