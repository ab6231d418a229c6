"""The app under test: ``create_app`` as shipped, plus two bench-only routes on it.

- ``/bench/floor``: the dashboard page with ``skip_auth`` (the guard steps aside), the
  unguarded ceiling every ratio is taken against. Same process, same stack, same page.
- ``/bench/passthrough``: the same, behind one more ``ASGIMiddleware`` that only calls
  the next app: the floor any guard pays for being a middleware at all.
- ``/bench/guarded``: guarded like ``/dashboard`` (``opt=GUARDED``) and rendering the same
  page, but its handler takes one dependency where ``/dashboard`` takes none:
  it separates the guard's own cost from the handler's.

The tiers are measured on the real guarded ``/dashboard``. Serve with
``uvicorn bench.subject:create --factory`` (settings from ``APP_*``, as ``make run``).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Response, get
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.htmx import HTMXRequest
from litestar.types import ASGIApp, Receive, Scope, Send

from app.clock import Clock
from app.config import Settings
from app.main import create_app
from app.web.deps import AppClock
from app.web.guard import GUARDED, current_claims
from bench.page import demo_claims, render

__all__ = ["FLOOR", "GUARDED_ONE_DEPENDENCY", "PASSTHROUGH", "PassThrough", "build", "create"]

FLOOR = "/bench/floor"
PASSTHROUGH = "/bench/passthrough"
GUARDED_ONE_DEPENDENCY = "/bench/guarded"
_SKIP = {"skip_auth": True}
_CLAIMS = demo_claims(1, "bench@example.com", 1_800_000_000)


class PassThrough(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await next_app(scope, receive, send)


@get(FLOOR, name="bench_floor", opt=_SKIP)
async def floor(request: HTMXRequest, clock: AppClock) -> Response[Any]:
    return render(request, _CLAIMS, clock.now())


@get(PASSTHROUGH, name="bench_passthrough", opt=_SKIP, middleware=[PassThrough()])
async def passthrough(request: HTMXRequest, clock: AppClock) -> Response[Any]:
    return render(request, _CLAIMS, clock.now())


@get(GUARDED_ONE_DEPENDENCY, name="bench_guarded", opt=GUARDED)
async def guarded(request: HTMXRequest, clock: AppClock) -> Response[Any]:
    claims = current_claims(request)
    if claims is None:  # the guard turns anonymous requests away before this
        raise RuntimeError("unreachable: an anonymous request passed the guard")
    return render(request, claims, clock.now())


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    app = create_app(settings, clock=clock)
    app.register(floor)
    app.register(passthrough)
    app.register(guarded)
    return app


def create() -> Litestar:
    """uvicorn's ``--factory`` entry point."""
    return build()
