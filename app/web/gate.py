"""The gate in front of every route, 404s and static files included: a request for a host
name this deployment does not serve (``APP_ALLOWED_HOSTS``: a DNS-rebinding page, a
scanner trying names) or with a control character in its path (``/static/%00`` reached
the file system) gets a plain ``400`` before any routing, and no log line.

Litestar's ``AllowedHostsConfig`` compares the whole ``Host`` header, port included, and
answers in JSON; here the name is compared without its port (``127.0.0.1:8000`` is
``127.0.0.1``; ``[::1]:8000`` is ``[::1]``), ``*.example.com`` allows its sub-domains,
and the answer is a page in plain words. Only a well-formed ``Host`` gets that far: a
name or IPv4 address, or an ``[IPv6]`` address, then at most ``:`` and a port number;
anything else (``127.0.0.1:1@evil.example``, two ports, a path) is refused.
"""

from __future__ import annotations

import ipaddress
import re

from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestGate", "host_name"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(
    r"(?P<name>[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[(?P<ipv6>[0-9a-f:.]+)\])(?::[0-9]{1,5})?"
)
WRONG_HOST = "This server does not answer to that host name."
BAD_PATH = "This address contains characters that no page here has."


def host_name(host: str) -> str:
    """The name part of a ``Host`` header, lower-cased (IPv6 keeps its brackets); ``""``
    unless the header is a syntactically valid host with an optional port."""
    match = _HOST.fullmatch(host.strip().lower())
    if match is None:
        return ""
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return ""
    return match["name"]


def _page(message: str) -> bytes:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Bad request</title>"
        f"<h1>Bad request</h1><p>{message}</p></html>"
    ).encode()


class RequestGate:
    """An ASGI wrapper around the whole app."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self._app = app
        self._exact = frozenset(h for h in hosts if not h.startswith("*."))
        self._suffixes = tuple(h[1:] for h in hosts if h.startswith("*."))

    def allows(self, host: str) -> bool:
        name = host_name(host)
        return bool(name) and (name in self._exact or name.endswith(self._suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            host = next((v for k, v in scope["headers"] if k == b"host"), b"")
            if not self.allows(host.decode("latin-1")):
                await _refuse(send, WRONG_HOST)
                return
            if _CONTROL.search(scope["path"]):
                await _refuse(send, BAD_PATH)
                return
        await self._app(scope, receive, send)


async def _refuse(send: Send, message: str) -> None:
    body = _page(message)
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
