"""``/reauth``: "Confirm it's you" - the password again before a change of sign-in
methods, then back to the page the person was on."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import Throttled, WrongCredentials
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM
from app.web.deps import Client, CurrentUser, ReauthDep
from app.web.forms import field_text, read_form, safe_next
from app.web.htmx import page, redirect
from app.web.routes import too_many, view

__all__ = ["reauth_page", "reauth_submit"]

DEFAULT_NEXT = "/account/security"
WRONG_PASSWORD = "That is not your password."
EMPTY = "Enter your password."


def _page(
    request: HTMXRequest,
    user: TokenClaims,
    next_path: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    context = {
        "claims": user,
        "next": next_path,
        "errors": {"current_password": error} if error else {},
    }
    headers = {**(headers or {}), "Cache-Control": "no-store"}
    return page(
        request, "reauth.html", context, block="form", status_code=status_code, headers=headers
    )


@view("/reauth", name="reauth")
async def reauth_page(request: HTMXRequest, user: CurrentUser) -> Response[Any]:
    return _page(request, user, safe_next(request.query_params.get("next"), DEFAULT_NEXT))


@post("/reauth", name="reauth_submit", opt=SHOW_FORM)
async def reauth_submit(
    request: HTMXRequest, user: CurrentUser, reauth: ReauthDep, client: Client
) -> Response[Any]:
    form = await read_form(request)
    next_path = safe_next(field_text(form, "next"), DEFAULT_NEXT)
    password = field_text(form, "current_password")
    if not password:
        return _page(request, user, next_path, error=EMPTY, status_code=422)
    outcome = await reauth.confirm(user, password, client)
    match outcome:
        case Throttled():
            message, headers = too_many(outcome)
            return _page(request, user, next_path, error=message, status_code=429, headers=headers)
        case WrongCredentials():
            return _page(request, user, next_path, error=WRONG_PASSWORD, status_code=422)
        case _:
            auth_state(request).renew(outcome)
            return redirect(request, next_path)
