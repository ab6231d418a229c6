"""static/app.css keeps its promise in both colour schemes: text 4.5:1, input borders and
the focus ring 3:1 against the card they sit on (WCAG 2.2 1.4.3 and 1.4.11).

axe-core (the e2e audit) judges text contrast on rendered pages, but not the contrast of
an input's border or of the focus ring: this reads the palette itself.
"""

from __future__ import annotations

import re

import pytest

from tests.support.live import REPO_ROOT

CSS = (REPO_ROOT / "static" / "app.css").read_text()
TEXT = ("ink", "muted", "accent", "danger", "ok")
NON_TEXT = ("field", "focus")


def _palette(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})\b", block))


def _schemes() -> dict[str, dict[str, str]]:
    light_block = CSS.split("@media (prefers-color-scheme: dark)")[0]
    dark_block = CSS.split("@media (prefers-color-scheme: dark)")[1].split("\n}\n")[0]
    light = _palette(light_block)
    return {"light": light, "dark": {**light, **_palette(dark_block)}}


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_matches_the_w3c_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_borders_and_focus_ring_meet_wcag_aa_on_cards_and_the_page(scheme: str) -> None:
    colours = _schemes()[scheme]
    weak = [
        f"--{name} on --{ground}: {contrast(colours[name], colours[ground]):.2f}:1"
        for ground in ("card", "bg")
        for name, needed in [*((n, 4.5) for n in TEXT), *((n, 3.0) for n in NON_TEXT)]
        if contrast(colours[name], colours[ground]) < needed
    ]
    assert not weak, weak


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_button_text_is_readable_on_the_accent(scheme: str) -> None:
    colours = _schemes()[scheme]
    assert contrast(colours["accent-ink"], colours["accent"]) >= 4.5
