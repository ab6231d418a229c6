"""The one page every benchmarked app renders: ``/dashboard`` (``templates/dashboard.html``).

Every variant - the app's bench routes, the bare reference, the peers - answers with the
app's own ``/dashboard`` handler (``app.web.routes.pages.dashboard``, called directly by
:func:`render`), handed the signed-in user the way the guard hands it over (an
``AuthState`` of a tier-1 request at ``scope["auth"]``): the same context and template
as the real page, whatever the page shows next. The peers also carry the app's non-auth
stack (:func:`common_app_config`: CSRF middleware, htmx plugin, security headers, origin
check); the bare reference (:mod:`bench.bare`) has none of it.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from litestar import Response, route
from litestar.config.csrf import CSRFConfig
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from app.auth.types import Authentication
from app.config import Settings
from app.security.cookies import AppCookies
from app.security.keys import load_or_create_secret
from app.security.tokens import TokenClaims
from app.web import routes as routes_package
from app.web import templating
from app.web.auth_state import AuthState
from app.web.headers import SecurityHeaders
from app.web.origin import SameOriginMiddleware
from app.web.routes import pages
from app.web.routes.pages import TIERS

__all__ = [
    "EMAIL",
    "ROOT",
    "TIER1",
    "common_app_config",
    "demo_claims",
    "render",
    "stub_routes",
    "template_config",
]

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "bench@example.com"  # every variant shows this user (same length, same page)
TIER1 = TIERS[(1, False)]
_DASHBOARD = pages.dashboard.fn  # the real handler, undecorated
_DAY = 86400


def demo_claims(user_id: int, email: str, now: int) -> TokenClaims:
    """Claims shaped like a fresh login's (address not verified yet, as after registering):
    what the template shows for a signed-in user. Read from the token's wire format, so a
    claim the app adds later gets the default it gives an older token."""
    return TokenClaims.from_claims(
        {
            "sub": str(user_id),
            "email": email,
            "sid": "bench-session-000000000",
            "rt": "bench-secret-0000000000000000000000000000000",  # shown nowhere
            "sat": now,
            "iat": now,
            "aex": now + 3600,
            "exp": now + _DAY,
            "sxp": now + 14 * _DAY,
        }
    )


async def render(request: HTMXRequest, claims: TokenClaims) -> Response[Any]:
    """What ``/dashboard`` returns for a tier-1 request of this user (where the guard has
    already run, its own state stays)."""
    if not isinstance(request.scope.get("auth"), AuthState):
        request.scope["auth"] = AuthState(Authentication(claims=claims, tier=1))  # type: ignore[typeddict-unknown-key]
    response: Response[Any] = await _DASHBOARD(request)
    return response


def _stub(handler: HTTPRouteHandler) -> HTTPRouteHandler:
    @route(
        sorted(handler.paths),
        name=handler.name,
        http_method=sorted(handler.http_methods),
        media_type="text/plain",
        sync_to_thread=False,
        opt={"skip_auth": True},
    )
    def stub() -> str:
        return ""

    return stub


@route(
    "/static/{file_path:path}",
    name="static",
    http_method=["GET", "HEAD"],
    media_type="text/plain",
    sync_to_thread=False,
    opt={"skip_auth": True},
)
def _static() -> str:
    return ""


def stub_routes(*, have: tuple[str, ...] = ("dashboard", "healthz")) -> list[Any]:
    """A stub for every named route of the app (``app/web/routes/``, and the static files
    at ``/static``), with its name, paths and methods: the templates' ``url_for`` needs
    them. Never requested."""
    found: dict[str, HTTPRouteHandler] = {}
    for module_info in pkgutil.iter_modules(routes_package.__path__):
        module = importlib.import_module(f"{routes_package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, HTTPRouteHandler) and value.name and value.name not in have:
                found.setdefault(value.name, value)
    stubs = [_stub(handler) for handler in found.values()]
    return [*stubs, _static]


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    """The app's Jinja set-up (its filters and globals; no auto-reload, as shipped)."""
    return TemplateConfig(
        directory=ROOT / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=lambda engine: templating.configure(engine, settings),
    )


def common_app_config(settings: Settings) -> dict[str, Any]:
    """The app's non-auth stack, for the peers: templates, CSRF, htmx, headers, origin check."""
    return {
        "template_config": template_config(settings),
        "csrf_config": CSRFConfig(
            secret=load_or_create_secret(settings.data_dir / "csrf.key"),
            cookie_name=AppCookies.of(secure=settings.cookie_secure).csrf.name,
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name="x-csrftoken",
        ),
        "plugins": [HTMXPlugin()],
        "before_send": [SecurityHeaders(settings)],
        "middleware": [SameOriginMiddleware(settings.base_origin)],
        "logging_config": None,
        "debug": False,
    }
