"""Jinja2 set-up: filters that show times, devices and places to a person.

A time is shown in words ("Tuesday 14 July 2026 at 15:04 UTC") inside a
``<time datetime="...">`` element, so that a machine (and ``static/app.js``, which puts it
in the reader's own time zone) has the exact moment too. The server does not know the
reader's time zone, so the words it writes always say "UTC".

Compiled templates are shared by every app of the process (:class:`CompiledTemplates`):
one app per process in a deployment, but the test suite builds one per test.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from app.clock import to_iso
from app.config import Settings
from app.shared.clients import describe_device

__all__ = ["CompiledTemplates", "configure", "in_words", "moment", "place", "relative", "timestamp"]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def timestamp(when: int) -> str:
    return to_iso(when).replace("T", " ").replace("Z", " UTC")


def in_words(when: int, style: str = "long") -> str:
    """ "Tuesday 14 July 2026 at 15:04 UTC" (``long``), "14 Jul 2026, 15:04 UTC"
    (``short``), "Tuesday 14 July 2026" (``date``)."""
    moment_ = datetime.fromtimestamp(when, UTC)
    day = DAYS[moment_.weekday()]
    month = MONTHS[moment_.month - 1]
    if style == "short":
        return f"{moment_.day} {month[:3]} {moment_.year}, {moment_:%H:%M} UTC"
    if style == "date":
        return f"{day} {moment_.day} {month} {moment_.year}"
    return f"{day} {moment_.day} {month} {moment_.year} at {moment_:%H:%M} UTC"


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


def moment(when: int, now: int | None = None, style: str = "long") -> Markup:
    """``<time datetime="...">`` with the moment in words (see :func:`in_words` for the
    styles), and "(in 3 hours)" after it when ``now`` is given: the server's now, since the
    reader's clock may be another."""
    html = Markup('<time datetime="{iso}" data-local="{style}">{words}</time>').format(
        iso=to_iso(when), style=style, words=in_words(when, style)
    )
    if now is not None:
        html += Markup(' <span class="relative">({})</span>').format(relative(when, now))
    return html


def place(address: str | None) -> str:
    """Where a coarse address (a /24 or /48 network, as stored) is, in words."""
    if not address:
        return "An unknown network"
    try:
        network = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return f"Network {address}"
    if network.is_loopback:
        return "This computer (a local connection)"
    if network.is_private or network.is_link_local:
        return f"A private network ({_short(network)})"
    return f"Network {_short(network)}"


def _short(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """ "203.0.113.x" for a /24; an IPv6 /48 as its first three groups and "…"."""
    if network.version == 4 and network.prefixlen == 24:
        return ".".join(str(network.network_address).split(".")[:3]) + ".x"
    if network.version == 6 and network.prefixlen == 48:
        groups = network.network_address.exploded.split(":")[:3]
        return ":".join(group.lstrip("0") or "0" for group in groups) + ":…"
    return str(network)


def device(user_agent: str | None) -> str:
    return describe_device(user_agent or "")


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled code for each template, kept in memory for the process.

    Each app has its own Jinja environment, which compiles a template on its first render:
    an app built for each test compiled every page it rendered again (~50 ms a page).
    Jinja checks the source's checksum on every load, so an edited template
    (``APP_TEMPLATE_AUTO_RELOAD``) is compiled anew, never served stale. Every app sets its
    environment up alike (this module), which the compiled code depends on.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = CompiledTemplates()


def configure(engine: JinjaTemplateEngine, settings: Settings) -> None:
    engine.engine.bytecode_cache = _COMPILED
    # Stat-ing every template file on every render costs more than rendering a small page.
    engine.engine.auto_reload = settings.template_auto_reload
    engine.engine.filters["timestamp"] = timestamp
    engine.engine.filters["iso"] = to_iso
    engine.engine.filters["in_words"] = in_words
    engine.engine.filters["place"] = place
    engine.engine.globals["relative"] = relative
    engine.engine.globals["moment"] = moment
    engine.engine.globals["describe_device"] = device
