"""Jinja2 set-up: filters that show times to a person."""

from __future__ import annotations

from litestar.plugins.jinja import JinjaTemplateEngine

from app.clock import to_iso
from app.config import Settings
from app.web.client import describe_device

__all__ = ["configure", "relative", "timestamp"]


def timestamp(when: int) -> str:
    return to_iso(when).replace("T", " ").replace("Z", " UTC")


def relative(when: int, now: int) -> str:
    delta = when - now
    size = abs(delta)
    for unit, seconds in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if size >= seconds:
            count = size // seconds
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            break
    else:
        text = f"{size} second{'s' if size != 1 else ''}"
    return f"in {text}" if delta > 0 else ("now" if delta == 0 else f"{text} ago")


def configure(engine: JinjaTemplateEngine, settings: Settings) -> None:
    # Stat-ing every template file on every render costs more than rendering a small page.
    engine.engine.auto_reload = settings.template_auto_reload
    engine.engine.filters["timestamp"] = timestamp
    engine.engine.filters["iso"] = to_iso
    engine.engine.globals["relative"] = relative
    engine.engine.globals["describe_device"] = describe_device
