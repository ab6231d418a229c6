"""The reference a user compares with: a bare Litestar app rendering the same page.

No middleware, no plugins, no ``before_send`` hooks, no auth, no database: the app's own
``/dashboard`` handler (:func:`bench.page.render`, so the same context and template as
the real page), rendered through the same Jinja set-up (the app's filters, no
auto-reload). Litestar's ``HTMXRequest`` is the request class (the handler asks
``request.htmx``; that is all the htmx plugin would add). The template asks for
``url_for(...)`` of the app's routes and for ``csrf_token()``: the routes are stubs with
the same names and paths (never requested), and ``csrf_token()`` returns a constant as
long as the token the CSRF middleware would put there (the browser's CSRF cookie, 128
characters), so the page is the same size.

Serve with ``uvicorn bench.bare:create --factory``.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Response, get
from litestar.plugins.htmx import HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine

from app.clock import SystemClock
from app.config import load_settings
from bench.page import EMAIL, demo_claims, render, stub_routes, template_config

__all__ = ["CSRF_LENGTH", "create"]

CSRF_LENGTH = 128  # secrets.token_hex(32) + its HMAC-SHA256 in hex: Litestar's CSRF token
_CLOCK = SystemClock()
_CLAIMS = demo_claims(1, EMAIL, _CLOCK.now())


@get("/dashboard", name="dashboard")
async def dashboard(request: HTMXRequest) -> Response[Any]:
    return await render(request, _CLAIMS)


@get("/healthz", name="healthz", media_type="text/plain", sync_to_thread=False)
def healthz() -> str:
    return "ok"


def _csrf_token(_: Any) -> str:
    return "0" * CSRF_LENGTH


def create() -> Litestar:
    settings = load_settings()
    config = template_config(settings)
    app = Litestar(
        route_handlers=[dashboard, healthz, *stub_routes()],
        template_config=config,
        request_class=HTMXRequest,
        logging_config=None,
        openapi_config=None,
        debug=False,
    )
    engine = app.template_engine
    if not isinstance(engine, JinjaTemplateEngine):
        raise TypeError("the bare app renders with Jinja")
    engine.register_template_callable("csrf_token", _csrf_token)
    app.state.settings = settings  # what the handler reads: the clock, the session lifetime
    app.state.clock = _CLOCK
    return app
