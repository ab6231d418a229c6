"""Forward auth: ``/auth/verify``, asked by a reverse proxy (nginx ``auth_request``,
Traefik ``forwardAuth``, Caddy ``forward_auth``) about a request it is about to pass to
an app of the operator's.

A thin route over the guard that serves every page: the guard has already run on this
request's cookies (all three tiers, the revocation mirror, the same clock) and left its
verdict in :class:`~app.web.auth_state.AuthState`; the guard's ``before_send`` hook puts
the renewed, rotated or deleted auth cookie on the answer, and only that one
(``FORWARD_AUTH``). What is left here is the proxy's side of the conversation: the
original method (for the same cross-site judgement the app's own forms get) and the
identity headers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response

from app.web.auth_state import auth_state
from app.web.forms import safe_next
from app.web.guard import FORWARD_AUTH
from app.web.origin import SAFE_METHODS, same_origin
from app.web.routes import view

__all__ = [
    "ORIGINAL_METHOD_HEADERS",
    "ORIGINAL_URI_HEADERS",
    "original_method",
    "sign_in_url",
    "verify",
]

# Where proxies put the original request's method: nginx (by the operator's
# proxy_set_header, deploy/nginx-gateway.conf), then Traefik and Caddy.
ORIGINAL_METHOD_HEADERS = ("x-original-method", "x-forwarded-method")
ORIGINAL_URI_HEADERS = ("x-original-uri", "x-forwarded-uri")
NO_STORE = {"Cache-Control": "no-store"}


def original_method(request: Request[Any, Any, Any]) -> str:
    """The method of the request the proxy asks about (``GET`` if it does not say)."""
    for name in ORIGINAL_METHOD_HEADERS:
        if value := request.headers.get(name):
            return value.strip().upper()
    return "GET"


def sign_in_url(request: Request[Any, Any, Any]) -> str:
    """``/login?next=<the original path and query, percent-encoded>``: what the proxy
    redirects a visitor who is not signed in to (nginx cannot percent-encode it itself).
    A ``next`` that is not a local path is left out (no open redirect)."""
    for name in ORIGINAL_URI_HEADERS:
        if value := request.headers.get(name):
            target = safe_next(value, default="")
            return "/login?next=" + quote(target, safe="") if target else "/login"
    return "/login"


@view("/auth/verify", name="auth_verify", opt=FORWARD_AUTH, media_type="text/plain")
async def verify(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``200`` and who (signed in), ``401`` and where to sign in (``X-Sign-In``), ``403``
    (an unsafe method that the browser says another site sent). Empty bodies; never
    cached."""
    if original_method(request) not in SAFE_METHODS and not same_origin(
        request.scope, request.app.state.settings.base_origin
    ):
        return Response(b"", status_code=403, headers=NO_STORE)
    claims = auth_state(request).claims
    if claims is None:
        headers = {**NO_STORE, "X-Sign-In": sign_in_url(request)}
        return Response(b"", status_code=401, headers=headers)
    identity = {
        "X-Auth-User-Id": str(claims.user_id),
        "X-Auth-Email": claims.email,
        "X-Auth-Email-Verified": "true" if claims.email_verified else "false",
    }
    return Response(b"", status_code=200, headers={**NO_STORE, **identity})
