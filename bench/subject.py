"""The app under test: ``create_app`` as shipped, plus bench-only routes on it.

- ``/bench/floor``: the dashboard page with ``NO_AUTH`` (the guard steps aside): the
  guard-only reference. Same process, same stack (CSRF, origin check, htmx plugin,
  security headers, the cookie writer), same page.
- ``/bench/passthrough``: the same, behind one more ``ASGIMiddleware`` that only calls
  the next app: the floor any guard pays for being a middleware at all.
- ``/bench/guarded``: guarded like ``/dashboard`` (``opt=GUARDED``) and rendering the same
  page, but its handler takes one dependency (``user``) where ``/dashboard`` takes none:
  it separates the guard's own cost from Litestar's dependency resolution.

The tiers are measured on the real guarded ``/dashboard``. With ``BENCH_WORKER_HEADER=1``
every response also says which process answered (``X-Bench-Worker``: its pid), so a
deployment of several workers on the system clock can be told apart (the app's own
``X-Test-Process`` exists only with the test clock). Serve with
``uvicorn bench.subject:create --factory`` (settings from ``APP_*``).
"""

from __future__ import annotations

import os
from typing import Any

from litestar import Litestar, Response, get
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.htmx import HTMXRequest
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.clock import Clock, SystemClock
from app.config import Settings
from app.main import create_app
from app.security.tokens import TokenClaims
from app.web.deps import CurrentUser
from app.web.guard import GUARDED, NO_AUTH
from bench.page import EMAIL, demo_claims, render

__all__ = [
    "FLOOR",
    "GUARDED_ONE_DEPENDENCY",
    "PASSTHROUGH",
    "WORKER_HEADER",
    "PassThrough",
    "build",
    "create",
]

FLOOR = "/bench/floor"
PASSTHROUGH = "/bench/passthrough"
GUARDED_ONE_DEPENDENCY = "/bench/guarded"
WORKER_HEADER = "x-bench-worker"
_CLAIMS = demo_claims(1, EMAIL, SystemClock().now())


class PassThrough(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await next_app(scope, receive, send)


@get(FLOOR, name="bench_floor", opt=NO_AUTH)
async def floor(request: HTMXRequest) -> Response[Any]:
    return await render(request, _CLAIMS)


@get(PASSTHROUGH, name="bench_passthrough", opt=NO_AUTH, middleware=[PassThrough()])
async def passthrough(request: HTMXRequest) -> Response[Any]:
    return await render(request, _CLAIMS)


@get(GUARDED_ONE_DEPENDENCY, name="bench_guarded", opt=GUARDED)
async def guarded(request: HTMXRequest, user: CurrentUser) -> Response[Any]:
    claims: TokenClaims = user
    return await render(request, claims)


class _WorkerHeader:
    """Outermost ASGI wrapper: one header naming this process on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._header = (WORKER_HEADER.encode(), str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), self._header]
            await send(message)

        await self._app(scope, receive, tagged)


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    app = create_app(settings, clock=clock)
    app.register(floor)
    app.register(passthrough)
    app.register(guarded)
    if os.environ.get("BENCH_WORKER_HEADER") == "1":
        app.asgi_handler = _WorkerHeader(app.asgi_handler)
    return app


def create() -> Litestar:
    """uvicorn's ``--factory`` entry point."""
    return build()
