"""The dashboard as the stacks render it: ``templates/dashboard.html`` with Jinja and the
context the bare page and the Litestar peers get (:mod:`bench.page`), without the app.

The bench (:func:`bench.stacks.launch.write_context`) writes ``page.json`` into the
server's data directory: the claims :func:`bench.page.demo_claims` gives the other
variants, the tier text, the session's longest life and the paths ``url_for`` gives for
the app's route names. Here the filters are the app's (``app/web/templating.py``: the
ones the dashboard uses, copied, since the app is not installed in the bench's venv) and
the environment is Litestar's (``autoescape=True``, no auto-reload). Only the signed-in
address comes from the stack's own user object, and ``csrf_token()`` from the stack's
own CSRF protection where it has one. The bench checks the page size against the bare
page's before the runs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Template
from markupsafe import Markup

__all__ = ["CONTEXT_FILE", "Dashboard", "data_dir"]

ROOT = Path(__file__).resolve().parent.parent.parent
CONTEXT_FILE = "page.json"
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def data_dir() -> Path:
    """The server's data directory (``bench.servers.Server`` sets ``APP_DATA_DIR``)."""
    return Path(os.environ["APP_DATA_DIR"])


def _to_iso(when: int) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat().replace("+00:00", "Z")


def _in_words(when: int, style: str = "long") -> str:
    moment_ = datetime.fromtimestamp(when, UTC)
    day = _DAYS[moment_.weekday()]
    month = _MONTHS[moment_.month - 1]
    if style == "short":
        return f"{moment_.day} {month[:3]} {moment_.year}, {moment_:%H:%M} UTC"
    if style == "date":
        return f"{day} {moment_.day} {month} {moment_.year}"
    return f"{day} {moment_.day} {month} {moment_.year} at {moment_:%H:%M} UTC"


def _relative(when: int, now: int) -> str:
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


def _moment(when: int, now: int | None = None, style: str = "long") -> Markup:
    html = Markup('<time datetime="{iso}" data-local="{style}">{words}</time>').format(
        iso=_to_iso(when), style=style, words=_in_words(when, style)
    )
    if now is not None:
        html += Markup(' <span class="relative">({})</span>').format(_relative(when, now))
    return html


class _Path:
    def __init__(self, path: str) -> None:
        self.path = path


class _Request:
    """What ``base.html`` reads of the request: ``request.url.path``."""

    def __init__(self, path: str) -> None:
        self.url = _Path(path)


class Dashboard:
    """``render(email, path, csrf_token, check_sent)``: the page's HTML for that user."""

    def __init__(self, directory: Path | None = None) -> None:
        context = json.loads(((directory or data_dir()) / CONTEXT_FILE).read_text())
        self._claims: dict[str, Any] = context["claims"]
        self._tier: str = context["tier"]
        self._session_max_age: int = context["session_max_age"]
        self._routes: dict[str, str] = context["routes"]
        self.csrf_length: int = context["csrf_length"]
        environment = Environment(
            loader=FileSystemLoader(ROOT / "templates"), autoescape=True, auto_reload=False
        )
        environment.filters["iso"] = _to_iso
        environment.filters["in_words"] = _in_words
        environment.globals["relative"] = _relative
        environment.globals["moment"] = _moment
        environment.globals["url_for"] = self._url_for
        self._template: Template = environment.get_template("dashboard.html")

    def _url_for(self, name: str, **params: str) -> str:
        if name == "static":
            return self._routes["static"] + params["file_path"]
        return self._routes[name]

    def render(
        self, email: str, path: str, csrf_token: Callable[[], str], *, check_sent: bool
    ) -> str:
        claims = {**self._claims, "email": email}
        now = int(time.time())
        return self._template.render(
            request=_Request(path),
            csrf_token=csrf_token,
            claims=claims,
            now=now,
            tier=self._tier,
            check_sent=check_sent,
            session_ends_at=claims["session_started_at"] + self._session_max_age,
            welcome=False,
        )
