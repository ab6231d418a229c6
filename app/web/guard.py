"""The guard: runs the refresh decision on every request and carries out its outcome.

Two parts, one concern:

- :class:`AuthGuardMiddleware` resolves who is signed in (the service decides), keeps
  the result in the request state and turns anonymous visitors away from guarded
  routes (``opt=GUARDED``).
- :class:`AuthCookies` is an app-level ``before_send`` hook that writes every auth
  ``Set-Cookie`` - the guard's own (renewal, rotation, deletion of a bad cookie) or
  one a handler asked for (login, logout) - on *every* response, error pages
  included: a rotated secret whose cookie never reached the browser would later
  look like a stolen one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from app.auth.refresh import RejectReason
from app.auth.service import AuthResult, AuthService, IssuedToken
from app.config import Settings
from app.security import cookies
from app.security.tokens import TokenClaims
from app.web.client import client_info

__all__ = [
    "GUARDED",
    "NOTICE_COOKIE",
    "AuthCookies",
    "AuthGuardMiddleware",
    "auth_result",
    "clear_cookie",
    "current_claims",
    "issue_cookie",
    "set_notice",
]

GUARDED = {"guarded": True}  # route opt: only signed-in users reach the handler
NOTICE_COOKIE = "notice"
_AUTH = "auth"
_COOKIE_ACTION = "auth_cookie_action"
_NOTICE = "notice_action"
_GUARDED_ROUTE = "guarded_route"
_NOTICES = {
    RejectReason.SESSION_EXPIRED: "expired",
    RejectReason.SESSION_MISSING: "ended",
    RejectReason.SESSION_REVOKED: "ended",
}


def auth_result(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthResult:
    result = connection.scope.get("state", {}).get(_AUTH)
    return result if isinstance(result, AuthResult) else AuthResult()


def current_claims(connection: ASGIConnection[Any, Any, Any, Any]) -> TokenClaims | None:
    return auth_result(connection).claims


def issue_cookie(connection: ASGIConnection[Any, Any, Any, Any], issued: IssuedToken) -> None:
    """Sign this browser in with ``issued`` (login, registration)."""
    connection.scope.setdefault("state", {})[_COOKIE_ACTION] = issued


def clear_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Sign this browser out (logout)."""
    connection.scope.setdefault("state", {})[_COOKIE_ACTION] = False


def set_notice(connection: ASGIConnection[Any, Any, Any, Any], value: str | None) -> None:
    """A one-shot notice for the login page ("your session expired"); None deletes it."""
    connection.scope.setdefault("state", {})[_NOTICE] = value


class AuthGuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/_test/", "^/healthz$")
    exclude_opt_key = "skip_auth"  # routes that never look at auth (the benchmark's floor)

    def __init__(self, service: AuthService, settings: Settings) -> None:
        self._service = service
        self._name = settings.auth_cookie_name

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        token = cookies.read_cookie(scope["headers"], self._name)
        result = await self._service.authenticate(token, lambda: client_info(scope))
        state = scope.setdefault("state", {})
        state[_AUTH] = result
        if scope["route_handler"].opt.get("guarded"):
            state[_GUARDED_ROUTE] = True
            if result.claims is None:
                if result.reason in _NOTICES:
                    state[_NOTICE] = _NOTICES[result.reason]
                await _not_signed_in(scope, send)
                return
        await next_app(scope, receive, send)


class AuthCookies:
    """``before_send``: the one place that writes the auth cookie (and the login notice)."""

    def __init__(self, settings: Settings) -> None:
        self._name = settings.auth_cookie_name
        self._csrf_name = settings.csrf_cookie_name
        self._secure = settings.cookie_secure

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        state = scope.get("state", {})
        value = self._auth_header(state)
        notice = state.get(_NOTICE, ...)
        if value is None and notice is ... and not state.get(_GUARDED_ROUTE):
            return
        headers = MutableScopeHeaders.from_message(message)
        if value is not None:
            headers.add("set-cookie", value)
            if _COOKIE_ACTION in state:  # signed in or out: a new CSRF token too
                headers.add(
                    "set-cookie", cookies.delete_cookie(self._csrf_name, secure=self._secure)
                )
        if notice is not ...:
            headers.add("set-cookie", self._notice(notice))
        if value is not None or state.get(_GUARDED_ROUTE):
            headers["cache-control"] = "no-store"

    def _auth_header(self, state: dict[str, Any]) -> str | None:
        action = state.get(_COOKIE_ACTION)
        result = state.get(_AUTH)
        if isinstance(action, IssuedToken):
            return self._set(action)
        if action is False or (action is None and result is not None and result.clear_cookie):
            return cookies.delete_cookie(self._name, secure=self._secure)
        if action is None and result is not None and result.issued is not None:
            return self._set(result.issued)
        return None

    def _set(self, issued: IssuedToken) -> str:
        return cookies.set_cookie(
            self._name, issued.token, max_age=issued.max_age, secure=self._secure
        )

    def _notice(self, value: str | None) -> str:
        if value is None:
            return cookies.delete_cookie(NOTICE_COOKIE, secure=self._secure)
        return cookies.set_cookie(NOTICE_COOKIE, value, max_age=300, secure=self._secure)


async def _not_signed_in(scope: Scope, send: Send) -> None:
    """Full pages: 303 to /login?next=...; htmx: 401 + HX-Redirect (htmx would follow a 3xx
    inside its request and swap the login page into a fragment)."""
    is_htmx = current_url = None
    for name, value in scope["headers"]:
        if name == b"hx-request":
            is_htmx = value == b"true"
        elif name == b"hx-current-url":
            current_url = value.decode("latin-1")
    target = _path_and_query(scope)
    if is_htmx and current_url:
        target = _local_part(current_url) or target
    login = ("/login?next=" + quote(target, safe="")).encode()
    headers = [(b"content-length", b"0"), (b"vary", b"HX-Request")]
    headers.append((b"hx-redirect", login) if is_htmx else (b"location", login))
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 401 if is_htmx else 303,
        "headers": headers,
    }
    body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
    await send(start)
    await send(body)


def _path_and_query(scope: Scope) -> str:
    # ASGI's raw_path excludes the query; some servers and test clients include it anyway.
    raw_path: bytes = scope.get("raw_path", b"").split(b"?", 1)[0]
    path = raw_path.decode("latin-1") or scope["path"]
    query: bytes = scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


def _local_part(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")
