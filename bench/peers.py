"""Bench-only peers, rendering the same page as ``/dashboard`` on the app's non-auth stack.

- ``create_jwt``: Litestar's ``JWTCookieAuth`` (PyJWT, HS256); the user from a dict.
- ``create_session``: Litestar's ``SessionAuth`` with ``ServerSideSessionConfig`` and a
  ``MemoryStore``; the user from a dict.
- ``create_jwe``: a minimal JWE guard, what one would write by hand: an ``ASGIMiddleware``
  that finds the cookie, decrypts it with joserfc (``dir`` + ``A256GCM``, the app's token
  format) on every request, no cache, reads the claims into the user object; no cookie or
  a bad one: ``303`` to ``/login``.

All three sit on the app's non-auth stack (:func:`bench.page.common_app_config`:
templates, CSRF, htmx plugin, security headers, origin check), so only the auth differs
from the app. Each has ``GET /bench/login``, which signs in the one bench user and sets
the peer's cookie (a shortcut for the benchmark: a GET that signs in belongs nowhere
else), and ``/healthz``. Serve with ``uvicorn bench.peers:create_jwt --factory``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from joserfc import jwe
from joserfc.jwk import OctKey
from litestar import Litestar, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.plugins.htmx import HTMXRequest
from litestar.security.jwt import JWTCookieAuth, Token
from litestar.security.session_auth import SessionAuth
from litestar.stores.memory import MemoryStore
from litestar.types import ASGIApp, Receive, Scope, Send

from app.clock import SystemClock
from app.config import load_settings
from app.security.tokens import TokenClaims
from app.web.guard import NO_AUTH
from bench.page import EMAIL, common_app_config, demo_claims, render, stub_routes

__all__ = ["DASHBOARD", "JWE_COOKIE", "LOGIN", "create_jwe", "create_jwt", "create_session"]

DASHBOARD = "/dashboard"
LOGIN = "/bench/login"
JWE_COOKIE = "jwe"
_OPEN = ["^/healthz$", f"^{LOGIN}$"]
_USER_ID = 1
_CLOCK = SystemClock()


def _users() -> dict[int, TokenClaims]:
    return {_USER_ID: demo_claims(_USER_ID, EMAIL, _CLOCK.now())}


@get("/healthz", name="healthz", media_type="text/plain", sync_to_thread=False, opt=NO_AUTH)
def healthz() -> str:
    return "ok"


@get(DASHBOARD, name="dashboard")
async def dashboard(request: HTMXRequest) -> Response[Any]:
    claims: TokenClaims = request.user
    return await render(request, claims)


def _with_state(app: Litestar) -> Litestar:
    """What the app's dashboard handler reads from ``app.state``."""
    app.state.settings = load_settings()
    app.state.clock = _CLOCK
    return app


def create_jwt() -> Litestar:
    users = _users()

    async def retrieve_user(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Any:
        return users.get(int(token.sub))

    auth = JWTCookieAuth[TokenClaims](
        retrieve_user_handler=retrieve_user,
        token_secret=secrets.token_urlsafe(32),
        exclude=_OPEN,
    )

    @get(LOGIN, name="bench_login")
    async def login() -> Response[Any]:
        return auth.login(identifier=str(_USER_ID), response_status_code=200)

    return _with_state(
        Litestar(
            route_handlers=[healthz, dashboard, login, *stub_routes()],
            on_app_init=[auth.on_app_init],
            **common_app_config(load_settings()),
        )
    )


def create_session() -> Litestar:
    users = _users()

    async def retrieve_user(session: dict[str, Any], _: ASGIConnection[Any, Any, Any, Any]) -> Any:
        return users.get(session.get("user_id", 0))

    auth = SessionAuth[TokenClaims, ServerSideSessionBackend](
        retrieve_user_handler=retrieve_user,
        session_backend_config=ServerSideSessionConfig(),
        exclude=_OPEN,
    )

    @get(LOGIN, name="bench_login")
    async def login(request: Request[Any, Any, Any]) -> Response[str]:
        request.set_session({"user_id": _USER_ID})
        return Response("signed in", media_type="text/plain")

    return _with_state(
        Litestar(
            route_handlers=[healthz, dashboard, login, *stub_routes()],
            on_app_init=[auth.on_app_init],
            stores={"sessions": MemoryStore()},
            **common_app_config(load_settings()),
        )
    )


class _JWEGuard(ASGIMiddleware):
    """Decrypt the cookie on every request; no cache, no denylist, no renewal."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "skip_auth"

    def __init__(self, key: OctKey, users: dict[int, TokenClaims]) -> None:
        self._key = key
        self._users = users
        self._registry = jwe.JWERegistry(algorithms=["dir", "A256GCM"])
        self._prefix = JWE_COOKIE.encode() + b"="

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                for part in value.split(b"; "):
                    if part.startswith(self._prefix):
                        user = self._user(part[len(self._prefix) :].decode("latin-1"))
        if user is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [(b"location", b"/login"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        scope["user"] = user
        await next_app(scope, receive, send)

    def _user(self, token: str) -> TokenClaims | None:
        try:
            data = jwe.decrypt_compact(token, self._key, registry=self._registry).plaintext
            claims = json.loads(data or b"{}")
            return self._users.get(int(claims["sub"]))
        except Exception:
            return None


def create_jwe() -> Litestar:
    users = _users()
    key = OctKey.generate_key(256)
    registry = jwe.JWERegistry(algorithms=["dir", "A256GCM"])
    claims = users[_USER_ID]

    @get(LOGIN, name="bench_login", opt=NO_AUTH)
    async def login() -> Response[str]:
        payload = json.dumps(claims.to_claims() | {"sub": str(_USER_ID)}).encode()
        token = jwe.encrypt_compact(
            {"alg": "dir", "enc": "A256GCM"}, payload, key, registry=registry
        )
        response = Response("signed in", media_type="text/plain")
        response.set_cookie(JWE_COOKIE, token, httponly=True, samesite="lax")
        return response

    config = common_app_config(load_settings())
    return _with_state(
        Litestar(
            route_handlers=[healthz, dashboard, login, *stub_routes()],
            **{**config, "middleware": [*config["middleware"], _JWEGuard(key, users)]},
        )
    )
