"""Change the password: check the current one, store the new one, end every other session."""

from __future__ import annotations

import unicodedata
from typing import Any

from litestar import Response, get, post
from litestar.plugins.htmx import HTMXRequest

from app.web.deps import Account, AppSettings, Client, SignedIn
from app.web.forms import PASSWORD_TOO_LONG, PASSWORD_TOO_SHORT, field_text
from app.web.guard import GUARDED
from app.web.htmx import page, redirect

__all__ = ["change_password", "password_page"]

WRONG_PASSWORD = "That is not your current password."
CHANGED = "Your password was changed. Every other session was signed out."


def _page(request: HTMXRequest, settings: Any, user: Any, **context: Any) -> Response[Any]:
    base = {"claims": user, "errors": {}, "done": None, "min_length": settings.password_min_length}
    status = 422 if context.get("errors") else 200
    return page(request, "password.html", {**base, **context}, block="form", status_code=status)


@get("/account/password", name="password", opt=GUARDED)
async def password_page(
    request: HTMXRequest, user: SignedIn, settings: AppSettings
) -> Response[Any]:
    done = CHANGED if request.query_params.get("changed") == "1" else None
    return _page(request, settings, user, done=done)


@post("/account/password", name="password_submit", opt=GUARDED)
async def change_password(
    request: HTMXRequest, user: SignedIn, settings: AppSettings, account: Account, client: Client
) -> Response[Any]:
    form = await request.form()
    current = field_text(form, "current_password")
    new = field_text(form, "new_password")
    errors: dict[str, str] = {}
    length = len(unicodedata.normalize("NFKC", new))
    if not current:
        errors["current_password"] = "Enter your current password."
    if length < settings.password_min_length:
        errors["new_password"] = PASSWORD_TOO_SHORT.format(min=settings.password_min_length)
    elif length > settings.password_max_length:
        errors["new_password"] = PASSWORD_TOO_LONG.format(max=settings.password_max_length)
    if not errors and not await account.change_password(user, current, new, client):
        errors["current_password"] = WRONG_PASSWORD
    if errors:
        return _page(request, settings, user, errors=errors)
    return redirect(request, request.app.route_reverse("password") + "?changed=1")
