"""The live password-strength hint under a new-password field (htmx, computed on the server).

It is only a hint: the rule that counts is the one the form applies on submit. It costs
real work (zxcvbn, in a process of its own), so each client address gets a bounded number
of hints a minute.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.security.password_policy import StrengthHint
from app.web.deps import AppSettings, Client, OptionalClaims, PasswordPolicyDep, StrengthThrottle
from app.web.forms import field_text, read_form

__all__ = ["password_strength"]


@post("/password-strength", name="password_strength", status_code=200)
async def password_strength(
    request: HTMXRequest,
    *,
    settings: AppSettings,
    password_policy: PasswordPolicyDep,
    strength_throttle: StrengthThrottle,
    client: Client,
    claims: OptionalClaims,
) -> Response[Any]:
    form = await read_form(request)
    field = "new_password" if "new_password" in form else "password"
    context: dict[str, Any] = {"field": field, "min_length": settings.password_min_length}
    headers = {"Cache-Control": "no-store"}
    clock = request.app.state.clock
    if wait := await strength_throttle.attempt(client.ip, clock.now()):
        context["paused"] = True
        headers["Retry-After"] = str(wait)
        return _fragment(request, context, status_code=429, headers=headers)
    password = field_text(form, field)
    email = claims.email if claims else field_text(form, "email")
    hint: StrengthHint = await password_policy.hint(
        password[: settings.password_max_length + 1], email
    )
    context["hint"] = hint
    return _fragment(request, context, status_code=200, headers=headers)


def _fragment(
    request: HTMXRequest, context: dict[str, Any], *, status_code: int, headers: dict[str, str]
) -> Response[Any]:
    engine = request.app.template_engine
    body = str(engine.get_template("_strength.html").render(**context)) if engine else ""
    return Response(body, media_type="text/html", status_code=status_code, headers=headers)
