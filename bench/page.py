"""The one page every benchmarked app renders: ``templates/dashboard.html`` (~2 KB).

The unguarded floor, the pass-through route and the peers call the app's own
``page()`` helper with the same context shape as ``/dashboard``, so every variant
renders the same template through the same Jinja set-up, CSRF middleware, htmx
plugin and security headers; only the auth in front of it differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Response
from litestar.config.csrf import CSRFConfig
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from app.config import Settings
from app.security.keys import load_or_create_secret
from app.security.tokens import TokenClaims
from app.web import templating
from app.web.headers import SecurityHeaders
from app.web.htmx import page
from app.web.origin import SameOriginMiddleware
from app.web.routes.pages import TIERS

__all__ = ["ROOT", "common_app_config", "demo_claims", "render"]

ROOT = Path(__file__).resolve().parent.parent
_DAY = 86400


def demo_claims(user_id: int, email: str, now: int) -> TokenClaims:
    """Claims shaped like a fresh login's: what the template shows for a signed-in user."""
    return TokenClaims(
        user_id=user_id,
        email=email,
        session_id="bench-session-000000000",
        secret="bench-secret-0000000000000000000000000000000",  # noqa: S106 (shown nowhere)
        session_started_at=now,
        issued_at=now,
        access_until=now + 3600,
        expires_at=now + _DAY,
        session_expires_at=now + 14 * _DAY,
    )


def render(request: HTMXRequest, claims: TokenClaims, now: int) -> Response[Any]:
    """What ``/dashboard`` returns for a tier-1 request, for any user object."""
    context = {"claims": claims, "now": now, "tier": TIERS[1]}
    return page(request, "dashboard.html", context, block="panels")


def common_app_config(settings: Settings) -> dict[str, Any]:
    """The app's non-auth stack, for the peers: templates, CSRF, htmx, headers, origin check."""
    return {
        "template_config": TemplateConfig(
            directory=ROOT / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=templating.configure,
        ),
        "csrf_config": CSRFConfig(
            secret=load_or_create_secret(settings.data_dir / "csrf.key"),
            cookie_name=settings.csrf_cookie_name,
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name="x-csrftoken",
        ),
        "plugins": [HTMXPlugin()],
        "before_send": [SecurityHeaders(settings)],
        "middleware": [SameOriginMiddleware()],
        "logging_config": None,
        "debug": False,
    }
