"""Change the password: check the current one, store the new one, end every other session."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import Throttled
from app.config import Settings
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM
from app.web.deps import Account, AppSettings, Client, CurrentUser, PasswordPolicyDep
from app.web.forms import PASSWORD_MISMATCH, field_text, read_form
from app.web.htmx import page, redirect
from app.web.routes import too_many, view

__all__ = ["change_password", "password_page"]

WRONG_PASSWORD = "That is not your current password."
CHANGED = "Your password was changed. Every other session was signed out."  # this one renewed


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


@view("/account/password", name="password")
async def password_page(
    request: HTMXRequest, user: CurrentUser, settings: AppSettings
) -> Response[Any]:
    done = CHANGED if request.query_params.get("changed") == "1" else None
    return _page(request, settings, user, done=done)


@post("/account/password", name="password_submit", opt=SHOW_FORM)
async def change_password(
    request: HTMXRequest,
    *,
    user: CurrentUser,
    settings: AppSettings,
    account: Account,
    password_policy: PasswordPolicyDep,
    client: Client,
) -> Response[Any]:
    form = await read_form(request)
    current = field_text(form, "current_password")
    new = field_text(form, "new_password")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Enter your current password."
    if problem := await password_policy.problem(new, user.email):
        errors["new_password"] = problem
    # The form always sends the confirmation (one typo would lock the person out); a
    # client that posts the two fields alone is judged as before, like /register.
    if "new_password_confirm" in form and field_text(form, "new_password_confirm") != new:
        errors["new_password_confirm"] = PASSWORD_MISMATCH
    if errors:
        return _page(request, settings, user, status_code=422, errors=errors)
    outcome = await account.change_password(user, current, new, client)
    if isinstance(outcome, Throttled):
        message, headers = too_many(outcome)
        errors["current_password"] = message
        return _page(request, settings, user, status_code=429, headers=headers, errors=errors)
    if outcome is None:
        errors["current_password"] = WRONG_PASSWORD
        return _page(request, settings, user, status_code=422, errors=errors)
    auth_state(request).sign_in(outcome)  # every session ended; this browser has a new one
    return redirect(request, request.app.route_reverse("password") + "?changed=1")
