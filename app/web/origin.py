"""Refuse state-changing requests that a browser says come from another site.

A second line behind the CSRF token: ``Sec-Fetch-Site: cross-site`` or an ``Origin``
that is not this host means another site made the browser send the request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["SameOriginMiddleware"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SameOriginMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/_test/",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method", "GET") not in SAFE_METHODS:
            headers = {name: value for name, value in scope["headers"]}
            if headers.get(b"sec-fetch-site") == b"cross-site" or not _same_origin(headers):
                raise PermissionDeniedException("cross-site request refused")
        await next_app(scope, receive, send)


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    origin = headers.get(b"origin")
    if origin is None:
        return True  # not sent by older browsers and non-browser clients; the CSRF token decides
    try:
        netloc = urlsplit(origin.decode("latin-1")).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc == headers.get(b"host", b"").decode("latin-1")
