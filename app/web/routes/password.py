"""Change the password: check the current one, store the new one, end every other session."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import Throttled
from app.config import Settings
from app.security.password_policy import check_new_password
from app.security.tokens import TokenClaims
from app.web.deps import Account, AppSettings, Client, SignedIn
from app.web.forms import field_text, read_form
from app.web.htmx import page, redirect
from app.web.routes.sign_in import too_many

__all__ = ["change_password", "password_page"]

WRONG_PASSWORD = "That is not your current password."
CHANGED = "Your password was changed. Every other session was signed out."


def _page(
    request: HTMXRequest,
    settings: Settings,
    user: TokenClaims,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[Any]:
    base = {"claims": user, "errors": {}, "done": None, "min_length": settings.password_min_length}
    return page(
        request,
        "password.html",
        {**base, **context},
        block="form",
        status_code=status_code,
        headers=headers,
    )


@get("/account/password", name="password")
async def password_page(
    request: HTMXRequest, user: SignedIn, settings: AppSettings
) -> Response[Any]:
    done = CHANGED if request.query_params.get("changed") == "1" else None
    return _page(request, settings, user, done=done)


@post("/account/password", name="password_submit")
async def change_password(
    request: HTMXRequest, user: SignedIn, settings: AppSettings, account: Account, client: Client
) -> Response[Any]:
    form = await read_form(request)
    current = field_text(form, "current_password")
    new = field_text(form, "new_password")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Enter your current password."
    if problem := check_new_password(
        new,
        user.email,
        min_length=settings.password_min_length,
        max_length=settings.password_max_length,
    ):
        errors["new_password"] = problem
    if errors:
        return _page(request, settings, user, status_code=422, errors=errors)
    outcome = await account.change_password(user, current, new, client)
    if isinstance(outcome, Throttled):
        message, headers = too_many(outcome)
        errors["current_password"] = message
        return _page(request, settings, user, status_code=429, headers=headers, errors=errors)
    if not outcome:
        errors["current_password"] = WRONG_PASSWORD
        return _page(request, settings, user, status_code=422, errors=errors)
    return redirect(request, request.app.route_reverse("password") + "?changed=1")
