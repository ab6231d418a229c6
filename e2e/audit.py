"""Looking at a page the way the issue-13 review did: axe-core, screenshots, reflow.

:class:`Audit` takes one page in one state through both sizes (desktop 1280x800, phone
390x844) and both colour schemes: it runs axe-core (WCAG 2.2 AA and best practice, from
``axe-playwright-python``) and keeps every violation of impact serious or critical,
checks that nothing scrolls sideways, and writes a screenshot to ``var/screenshots/``
named ``<page>--<state>--<size>--<scheme>.png``. Findings are collected, not raised at
once, so that one run still writes every screenshot; :meth:`Audit.assert_clean` fails the
test with all of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.support.live import REPO_ROOT

__all__ = [
    "PHONE",
    "SCHEMES",
    "SCREENSHOTS",
    "SIZES",
    "Audit",
    "Size",
    "overflow",
    "serious_violations",
    "settled",
]

Scheme = Literal["light", "dark"]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
SCHEMES: tuple[Scheme, ...] = ("light", "dark")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
SERIOUS = frozenset({"serious", "critical"})
_AXE_SCRIPT = Axe().axe_script


@dataclass(frozen=True)
class Size:
    name: str
    width: int
    height: int

    @property
    def viewport(self) -> dict[str, int]:
        return {"width": self.width, "height": self.height}

    def __str__(self) -> str:
        return f"{self.name}-{self.width}x{self.height}"


DESKTOP = Size("desktop", 1280, 800)
PHONE = Size("phone", 390, 844)
SIZES = (DESKTOP, PHONE)


def serious_violations(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_AXE_SCRIPT)  # once per document, not once per run
    results: dict[str, Any] = page.evaluate(f"axe.run(document, {json.dumps(AXE_OPTIONS)})")
    found = []
    for violation in results["violations"]:
        if violation.get("impact") in SERIOUS:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
    return found


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: it reflows)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - window.innerWidth")  # type: ignore[arg-type]
    )


def settled(page: Page) -> None:
    """Wait until htmx has settled its last swap and no transition runs: a form fades to
    60 % while its request is out (``.htmx-request``), and an element swapped in wears its
    predecessor's classes for a moment; contrast is judged on the page at rest."""
    page.wait_for_function(
        """() => !document.querySelector(
                   '.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')
               && document.getAnimations().every(a => a.playState !== 'running')"""
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Audit:
    """Findings of one test, and the screenshots it wrote."""

    findings: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    def check(self, page: Page, name: str, state: str) -> None:
        """``page`` (in the state it is in) at every size and colour scheme."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        settled(page)
        for size in SIZES:
            page.set_viewport_size(size.viewport)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                where = f"{name} ({state}) at {size}, {scheme}"
                self.findings.extend(f"{where}: {v}" for v in serious_violations(page))
                if (wider := overflow(page)) > 0:
                    self.findings.append(f"{where}: scrolls sideways by {wider} px")
                path = SCREENSHOTS / f"{_slug(name)}--{_slug(state)}--{size}--{scheme}.png"
                page.screenshot(path=path, full_page=True, animations="disabled")
                self.screenshots.append(path)
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(DESKTOP.viewport)

    def assert_clean(self) -> None:
        assert not self.findings, "\n".join(self.findings)
