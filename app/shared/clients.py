"""Who is asking: the user agent and the client's address, as throttles count it and as
sessions and the activity log keep it; and the device in the words people use."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse

__all__ = ["ClientInfo", "coarse_address", "describe_device", "throttle_address"]


@dataclass(frozen=True, slots=True)
class ClientInfo:
    user_agent: str = ""
    address: str = ""  # coarse (a /24 or /48): what is stored and shown
    ip: str = ""  # what throttling counts by (an IPv4 address, an IPv6 /64); never stored


def coarse_address(host: str) -> str:
    """The network, not the host: an IPv4 /24 or an IPv6 /48 is enough to say "where from"."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def throttle_address(host: str) -> str:
    """What the per-client throttles count by: an IPv4 address itself, an IPv6 client by
    its /64 (one subscriber gets a whole /64 and could otherwise take a fresh address for
    every attempt). An IPv4-mapped IPv6 address counts as its IPv4 address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# ua-parser's names, in the words people know their browser and system by.
_BROWSERS = {
    "HeadlessChrome": "Chrome (headless)",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Mobile Safari": "Safari",
    "Edge Mobile": "Edge",
}
_SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}


@lru_cache(maxsize=256)
def describe_device(user_agent: str) -> str:
    """ "Firefox on Windows", from the user agent; "Unknown device" when it says nothing."""
    parsed = parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    browser = _BROWSERS.get(browser, browser) if browser and browser != "Other" else None
    system = _SYSTEMS.get(system, system) if system and system != "Other" else None
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
