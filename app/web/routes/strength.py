"""The live password-strength hint under a new-password field (htmx, computed on the server).

It is only a hint: the rule that counts is the one the form applies on submit.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.security.password_policy import strength_hint
from app.web.deps import AppSettings, OptionalClaims
from app.web.forms import field_text, read_form

__all__ = ["password_strength"]


@post("/password-strength", name="password_strength", status_code=200)
async def password_strength(
    request: HTMXRequest, settings: AppSettings, claims: OptionalClaims
) -> Response[Any]:
    form = await read_form(request)
    password = field_text(form, "password") or field_text(form, "new_password")
    email = claims.email if claims else field_text(form, "email")
    field = "new_password" if "new_password" in form else "password"
    context: dict[str, Any] = {"field": field, "min_length": settings.password_min_length}
    if len(password) >= settings.password_min_length:
        context["hint"] = strength_hint(password[: settings.password_max_length], email)
    return Response(
        content=_render(request, context),
        media_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def _render(request: HTMXRequest, context: dict[str, Any]) -> str:
    engine = request.app.template_engine
    if engine is None:  # pragma: no cover - the app always has one
        return ""
    return str(engine.get_template("_strength.html").render(**context))
