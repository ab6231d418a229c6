"""The account is the person's: delete it (GDPR art. 17), take what is kept about it
(art. 15 and 20)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.deletion import AddressMismatch, Deleted
from app.auth.types import Throttled, WrongCredentials
from app.clock import to_iso
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM
from app.web.deps import Client, CurrentUser, DeletionDep, ExportDep
from app.web.forms import field_text, read_form
from app.web.guard import NotSignedInError
from app.web.htmx import page, redirect
from app.web.routes import too_many, view

__all__ = ["delete_account", "delete_page", "export_account"]

WRONG_PASSWORD = "That is not your current password."
ENTER_PASSWORD = "Enter your current password."
WRONG_ADDRESS = "Type the email address of this account, exactly as shown above."


def _page(
    request: HTMXRequest,
    user: TokenClaims,
    *,
    errors: dict[str, str] | None = None,
    confirm_email: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    context = {"claims": user, "errors": errors or {}, "confirm_email": confirm_email}
    return page(
        request,
        "account_delete.html",
        context,
        block="form",
        status_code=status_code,
        headers=headers,
    )


@view("/account/delete", name="account_delete")
async def delete_page(request: HTMXRequest, user: CurrentUser) -> Response[Any]:
    return _page(request, user)


@post("/account/delete", name="account_delete_submit", opt=SHOW_FORM)
async def delete_account(
    request: HTMXRequest, *, user: CurrentUser, deletion: DeletionDep, client: Client
) -> Response[Any]:
    form = await read_form(request)
    password = field_text(form, "current_password")
    typed = field_text(form, "confirm_email")
    errors: dict[str, str] = {}
    if not password:
        errors["current_password"] = ENTER_PASSWORD
    if not typed.strip():
        errors["confirm_email"] = WRONG_ADDRESS
    if errors:
        return _page(request, user, errors=errors, confirm_email=typed, status_code=422)
    outcome = await deletion.delete_own(user, password, typed, client)
    match outcome:
        case Throttled():
            message, headers = too_many(outcome)
            errors["current_password"] = message
            return _page(
                request, user, errors=errors, confirm_email=typed, status_code=429, headers=headers
            )
        case WrongCredentials():
            errors["current_password"] = WRONG_PASSWORD
        case AddressMismatch():
            errors["confirm_email"] = WRONG_ADDRESS
        case Deleted():
            state = auth_state(request)
            state.sign_out()
            state.show_notice("deleted")
            return redirect(request, request.app.route_reverse("login"))
    return _page(request, user, errors=errors, confirm_email=typed, status_code=422)


@view("/account/export", name="account_export")
async def export_account(user: CurrentUser, export: ExportDep) -> Response[bytes]:
    exported = await export.export(user)
    if exported is None:  # deleted meanwhile
        raise NotSignedInError()
    now, document = exported
    filename = f"account-{to_iso(now)[:10]}.json"
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False).encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
