"""The guard: who is signed in, on every request, and the one writer of the auth cookie.

- :class:`AuthGuardMiddleware` asks :class:`~app.auth.authenticate.Authenticator`
  (which carries out the refresh decision), publishes the result as the request's
  :class:`~app.web.auth_state.AuthState`, and turns anonymous visitors away from
  guarded routes (``opt=GUARDED``, set once on the guarded router).
- :class:`AuthCookies` is an app-level ``before_send`` hook that writes every auth
  ``Set-Cookie`` - the guard's own (renewal, rotation, deletion of a bad cookie) or one a
  handler asked for (login, logout) - on *every* response, error pages included: a
  rotated secret whose cookie never reached the browser would later look like a stolen
  one. It is app-level because a CSRF refusal is answered outside route middleware.
- :func:`not_signed_in` is the one answer to a visitor who must sign in: ``303`` to the
  login page, ``401`` + ``HX-Redirect`` for htmx, ``401 {"error": "not_signed_in"}`` for
  an API request (:func:`wants_json`: under ``/api/``, or asking for JSON and not HTML).
- ``FORWARD_AUTH`` (``/auth/verify``, :mod:`app.web.routes.gateway`): the guard runs as on
  a page, and the answer carries the auth cookie's ``Set-Cookie`` alone - a proxy passes
  on the first one only (docs/design.md, "Forward auth").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
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

from app.auth.authenticate import Authenticator
from app.auth.refresh import RejectReason
from app.auth.types import Authentication
from app.security.cookies import AppCookies, tossed_paths
from app.web.auth_state import AuthState, response_headers
from app.web.client import client_info

__all__ = [
    "API_PREFIX",
    "FORWARD_AUTH",
    "GUARDED",
    "NO_AUTH",
    "AuthCookies",
    "AuthGuardMiddleware",
    "NotSignedInError",
    "not_signed_in",
    "not_signed_in_handler",
    "wants_json",
]

GUARDED = {"guarded": True}  # router/route opt: only signed-in users reach the handler
NO_AUTH = {"skip_auth": True}  # route opt: never looks at auth (static files, health, test)
# Route opt of /auth/verify: the guard runs, the answer carries the auth cookie alone (a
# proxy passes on one Set-Cookie), and Litestar's CSRF middleware stays out of it.
FORWARD_AUTH = {"forward_auth": True, "exclude_from_csrf": True}
API_PREFIX = "/api/"
NOT_SIGNED_IN_JSON = b'{"error":"not_signed_in"}'


class NotSignedInError(NotAuthorizedException):
    """A handler needed a signed-in user and there is none: answered like the guard does."""


class AuthGuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "skip_auth"  # routes that never look at auth: NO_AUTH

    def __init__(self, authenticator: Authenticator, cookies: AppCookies) -> None:
        self._authenticator = authenticator
        self._cookie = cookies.auth

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        tokens = self._cookie.values(scope["headers"])
        if len(tokens) > 1:  # which one is ours? None: not signed in, and every copy goes
            result = Authentication(rejected=RejectReason.SEVERAL_COOKIES)
            clear_paths = tossed_paths(scope["path"])
        else:
            token = tokens[0] if tokens else None
            result = await self._authenticator.authenticate(token, lambda: client_info(scope))
            clear_paths = []
        state = AuthState(
            result,
            guarded=bool(scope["route_handler"].opt.get("guarded")),
            clear_paths=clear_paths,
        )
        scope["auth"] = state
        if state.guarded and state.claims is None:
            if result.rejected is not None and result.rejected.notice:
                state.show_notice(result.rejected.notice)
            status, headers, content = not_signed_in(scope)
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
            body: HTTPResponseBodyEvent = {
                "type": "http.response.body",
                "body": content,
                "more_body": False,
            }
            await send(start)
            await send(body)
            return
        await next_app(scope, receive, send)


def not_signed_in(scope: Scope) -> tuple[int, dict[str, str], bytes]:
    """The one answer to a visitor who must sign in first. Full pages: 303 to
    /login?next=...; htmx: 401 + HX-Redirect (htmx would follow a 3xx inside its request
    and swap the login page into a fragment); an API (``/api/``, or a request that asks for
    JSON and not HTML): 401 with a JSON body, never a redirect."""
    if wants_json(scope):
        headers = {
            "content-type": "application/json",
            "content-length": str(len(NOT_SIGNED_IN_JSON)),
            "cache-control": "no-store",
            "vary": "Accept",
        }
        return 401, headers, NOT_SIGNED_IN_JSON
    is_htmx = False
    current_url = None
    for name, value in scope["headers"]:
        if name == b"hx-request":
            is_htmx = value == b"true"
        elif name == b"hx-current-url":
            current_url = value.decode("latin-1")
    target = _path_and_query(scope)
    if is_htmx and current_url:
        target = _local_part(current_url) or target
    login = "/login?next=" + quote(target, safe="")
    headers = {"content-length": "0", "vary": "HX-Request, Accept"}
    headers["hx-redirect" if is_htmx else "location"] = login
    return (401 if is_htmx else 303), headers, b""


def wants_json(scope: Scope) -> bool:
    """An API request: under ``/api/``, or one whose ``Accept`` names JSON and not HTML."""
    if scope["path"].startswith(API_PREFIX):
        return True
    for name, value in scope["headers"]:
        if name == b"accept":
            accept = value.lower()
            return b"application/json" in accept and b"text/html" not in accept
    return False


def not_signed_in_handler(request: Request[Any, Any, Any], _: NotSignedInError) -> Response[Any]:
    status, headers, body = not_signed_in(request.scope)
    headers.pop("content-length")
    media_type = headers.pop("content-type", "text/plain")
    return Response(body, status_code=status, headers=headers, media_type=media_type)


class AuthCookies:
    """``before_send``: the one place that writes the auth cookie (and the login notice)."""

    def __init__(self, cookies: AppCookies) -> None:
        self._cookies = cookies

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        state = scope.get("auth")
        if not isinstance(state, AuthState):
            return
        values, no_store = response_headers(state, self._cookies)
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get("forward_auth"):
            # A proxy passes on the first Set-Cookie only (nginx's $upstream_http_set_cookie):
            # the auth cookie's, and nothing else, ever goes on this answer.
            auth = self._cookies.auth.name + "="
            values = [value for value in values if value.startswith(auth)][:1]
        if not values and not no_store:
            return
        headers = [
            h for h in message.get("headers", ()) if not (no_store and h[0] == b"cache-control")
        ]
        headers.extend((b"set-cookie", value.encode("latin-1")) for value in values)
        if no_store:
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers


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
