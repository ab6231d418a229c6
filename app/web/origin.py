"""Refuse state-changing requests that a browser says come from another site.

A second line behind the CSRF token, compared exactly:

- ``Sec-Fetch-Site``, when sent, must be ``same-origin`` or ``none`` (a user's own
  navigation); ``cross-site``, ``same-site`` (a sibling sub-domain is another origin)
  and anything else - ``CROSS-SITE`` included - are refused.
- ``Origin``, when sent, must be this request's own origin (scheme, host and port) or
  the deployment's ``APP_BASE_URL`` origin.
- ``Origin: null`` is what a browser sends from a page served with ``Referrer-Policy:
  no-referrer`` (the reset and confirm pages) - and from a sandboxed frame or a
  ``data:`` page an attacker made. It passes only with ``Sec-Fetch-Site: same-origin``,
  which a browser sets and no page can forge.
- Without ``Origin``, a ``Referer`` from another origin is refused.

The Host itself was already checked (:mod:`app.web.gate`), so "this request's own
origin" cannot be a name an attacker chose (DNS rebinding).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["SAFE_METHODS", "SameOriginMiddleware", "origin_of", "same_origin"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME = frozenset({b"same-origin", b"none"})


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped; None if it is
    not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


class SameOriginMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, base_origin: str) -> None:
        self._base_origin = base_origin

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method", "GET") not in SAFE_METHODS and not same_origin(
            scope, self._base_origin
        ):
            raise PermissionDeniedException("cross-site request refused")
        await next_app(scope, receive, send)


def same_origin(scope: Scope, base_origin: str) -> bool:
    """Whether the browser says this request comes from one of our own pages (the rules
    above). ``/auth/verify`` asks it about the request a proxy forwards: nginx's subrequest
    carries that request's ``Sec-Fetch-Site``, ``Origin``, ``Referer`` and ``Host``."""
    headers = dict(scope["headers"])
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAME:
        return False
    if headers.get(b"origin") == b"null":
        return fetch_site == b"same-origin"
    claimed = headers.get(b"origin") or headers.get(b"referer")
    if claimed is None:
        return True  # older browsers and non-browser clients: the CSRF token decides
    origin = origin_of(claimed.decode("latin-1"))
    host = headers.get(b"host", b"").decode("latin-1").lower()
    own = origin_of(f"{scope.get('scheme', 'http')}://{host}")
    return origin is not None and origin in {own, base_origin}
