"""The guard: runs the refresh decision on every request and carries out its outcome.

It is one ASGI middleware. It resolves who is signed in (the service decides),
keeps the result in the request state, refuses guarded routes to anonymous
visitors, and writes every auth ``Set-Cookie`` - the guard's own (renewal,
rotation, deletion of a bad cookie) or one asked for by a handler (login,
logout) through :func:`issue_cookie` / :func:`clear_cookie`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from litestar.connection import ASGIConnection
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
    "AuthGuardMiddleware",
    "auth_result",
    "clear_cookie",
    "current_claims",
    "issue_cookie",
    "set_notice",
]

GUARDED = {"guarded": True}  # route opt: only signed-in users reach the handler
_AUTH = "auth"
_COOKIE_ACTION = "auth_cookie_action"
_EXTRA_COOKIES = "extra_set_cookies"
NOTICE_COOKIE = "notice"
_NOTICES = {
    RejectReason.SESSION_EXPIRED: "expired",
    RejectReason.SESSION_MISSING: "ended",
}


def auth_result(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthResult:
    result = connection.scope.get("state", {}).get(_AUTH)
    return result if isinstance(result, AuthResult) else AuthResult()


def current_claims(connection: ASGIConnection[Any, Any, Any, Any]) -> TokenClaims | None:
    return auth_result(connection).claims


def issue_cookie(connection: ASGIConnection[Any, Any, Any, Any], issued: IssuedToken) -> None:
    connection.scope.setdefault("state", {})[_COOKIE_ACTION] = issued


def clear_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.scope.setdefault("state", {})[_COOKIE_ACTION] = False


def set_notice(connection: ASGIConnection[Any, Any, Any, Any], value: str | None) -> None:
    """A one-shot notice for the login page ("your session expired"); None deletes it."""
    connection.scope.setdefault("state", {}).setdefault(_EXTRA_COOKIES, []).append(
        _notice_header(value, secure=_secure(connection.scope))
    )


def _secure(scope: Scope) -> bool:
    return bool(scope.get("state", {}).get("cookie_secure", True))


def _notice_header(value: str | None, *, secure: bool) -> str:
    if value is None:
        return cookies.delete_cookie(NOTICE_COOKIE, secure=secure)
    return cookies.set_cookie(NOTICE_COOKIE, value, max_age=300, secure=secure)


class AuthGuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/_test/", "^/healthz$")

    def __init__(self, service: AuthService, settings: Settings) -> None:
        self._service = service
        self._name = settings.auth_cookie_name
        self._secure = settings.cookie_secure

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        state["cookie_secure"] = self._secure
        token = cookies.read_cookie(scope["headers"], self._name)
        result = await self._service.authenticate(token, client_info(scope))
        state[_AUTH] = result
        guarded = bool(scope["route_handler"].opt.get("guarded"))
        if guarded and result.claims is None:
            await self._not_signed_in(scope, send, result)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                changed = self._append_cookies(headers, state, result)
                if changed or guarded:
                    _no_store(headers)
                message = {**message, "headers": headers}
            await send(message)

        await next_app(scope, receive, send_with_cookies)

    def _append_cookies(
        self, headers: list[tuple[bytes, bytes]], state: dict[str, Any], result: AuthResult
    ) -> bool:
        action = state.get(_COOKIE_ACTION)
        value: str | None = None
        if isinstance(action, IssuedToken):
            value = self._set(action)
        elif action is False or (action is None and result.clear_cookie):
            value = cookies.delete_cookie(self._name, secure=self._secure)
        elif action is None and result.issued is not None:
            value = self._set(result.issued)
        extra: list[str] = state.get(_EXTRA_COOKIES, [])
        for header in ([value] if value else []) + extra:
            headers.append((b"set-cookie", header.encode("latin-1")))
        return value is not None

    def _set(self, issued: IssuedToken) -> str:
        return cookies.set_cookie(
            self._name, issued.token, max_age=issued.max_age, secure=self._secure
        )

    async def _not_signed_in(self, scope: Scope, send: Send, result: AuthResult) -> None:
        """Full pages: 303 to /login?next=...; htmx: 401 + HX-Redirect (htmx would follow a 3xx
        inside its request and swap the login page into a fragment)."""
        request_headers = dict(scope["headers"])
        is_htmx = request_headers.get(b"hx-request") == b"true"
        target = _path_and_query(scope)
        if is_htmx and (current := request_headers.get(b"hx-current-url")):
            target = _local_part(current.decode("latin-1")) or target
        login = "/login?next=" + quote(target, safe="")
        headers: list[tuple[bytes, bytes]] = [
            (b"content-length", b"0"),
            (b"cache-control", b"no-store"),
            (b"vary", b"HX-Request"),
        ]
        if result.clear_cookie:
            headers.append(
                (b"set-cookie", cookies.delete_cookie(self._name, secure=self._secure).encode())
            )
        if result.reason in _NOTICES:
            notice = _notice_header(_NOTICES[result.reason], secure=self._secure)
            headers.append((b"set-cookie", notice.encode()))
        if is_htmx:
            status = 401
            headers.append((b"hx-redirect", login.encode()))
        else:
            status = 303
            headers.append((b"location", login.encode()))
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": status,
            "headers": headers,
        }
        await send(start)
        body: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": b"",
            "more_body": False,
        }
        await send(body)


def _no_store(headers: list[tuple[bytes, bytes]]) -> None:
    headers[:] = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
    headers.append((b"cache-control", b"no-store"))


def _path_and_query(scope: Scope) -> str:
    path: str = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
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
