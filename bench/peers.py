"""Bench-only peers on Litestar's own auth, rendering the same page as ``/dashboard``.

- ``create_jwt``: ``JWTCookieAuth`` (PyJWT, HS256); the user comes from a dict, no DB.
- ``create_session``: ``SessionAuth`` with ``ServerSideSessionConfig`` and a
  ``MemoryStore``; the user comes from a dict, no DB.

Both sit on the app's non-auth stack (:func:`bench.page.common_app_config`). Each has
``GET /bench/login``, which signs in the one bench user and sets the peer's cookie: a
shortcut for the benchmark (a GET that signs in belongs nowhere else), and
``/healthz`` for the readiness check. Serve with ``uvicorn bench.peers:create_jwt --factory``.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.plugins.htmx import HTMXRequest
from litestar.security.jwt import JWTCookieAuth, Token
from litestar.security.session_auth import SessionAuth
from litestar.stores.memory import MemoryStore

from app.clock import SystemClock
from app.config import load_settings
from app.security.tokens import TokenClaims
from bench.page import common_app_config, demo_claims, render

__all__ = ["DASHBOARD", "LOGIN", "create_jwt", "create_session"]

DASHBOARD = "/dashboard"
LOGIN = "/bench/login"
_OPEN = ["^/healthz$", f"^{LOGIN}$"]
_USER_ID = 1
_CLOCK = SystemClock()


def _users() -> dict[int, TokenClaims]:
    return {_USER_ID: demo_claims(_USER_ID, "bench@example.com", _CLOCK.now())}


@get("/healthz", name="healthz", media_type="text/plain", sync_to_thread=False)
def healthz() -> str:
    return "ok"


@get(DASHBOARD, name="dashboard")
async def dashboard(request: HTMXRequest) -> Response[Any]:
    claims: TokenClaims = request.user
    return render(request, claims, _CLOCK.now())


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

    return Litestar(
        route_handlers=[healthz, dashboard, login],
        on_app_init=[auth.on_app_init],
        **common_app_config(load_settings()),
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

    return Litestar(
        route_handlers=[healthz, dashboard, login],
        on_app_init=[auth.on_app_init],
        stores={"sessions": MemoryStore()},
        **common_app_config(load_settings()),
    )
