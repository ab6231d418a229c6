"""A forgotten password: ask for a link, open it, choose a new password.

``/forgot-password`` answers the same page, with the same message, for any address (the
work happens later, in the mail sender). ``/reset-password`` never uses the link up on a
GET (mail scanners open links); every answer it gives says ``Referrer-Policy: no-referrer``
so the token in its address is not handed to another site.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.shared.addresses import normalize_email
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM, SHOWS_FORM_WHEN_EXPIRED
from app.web.deps import (
    AppSettings,
    Client,
    OptionalClaims,
    PasswordPolicyDep,
    RecoveryDep,
    SignInDep,
)
from app.web.forms import field_text, read_form
from app.web.htmx import page, redirect
from app.web.routes import NO_REFERRER, too_many, view

__all__ = ["forgot_page", "forgot_submit", "reset_page", "reset_submit"]

SENT = "If an account exists for that address, we have sent a link to reset its password."
LINK_UNUSABLE = (
    "This link does not work any more: it was used already, it expired, or a newer one "
    "was sent. You can ask for a new one."
)
PASSWORD_MISMATCH = "The two passwords do not match."


@view("/forgot-password", name="forgot_password")
async def forgot_page(request: HTMXRequest, claims: OptionalClaims) -> Response[Any]:
    context: dict[str, Any] = {"claims": claims, "errors": {}, "email": "", "sent": None}
    return page(request, "forgot_password.html", context, block="form", headers=NO_REFERRER)


@post("/forgot-password", name="forgot_password_submit", opt=SHOW_FORM)
async def forgot_submit(
    request: HTMXRequest,
    *,
    recovery: RecoveryDep,
    sign_in: SignInDep,
    client: Client,
    claims: OptionalClaims,
) -> Response[Any]:
    form = await read_form(request)
    email, error = normalize_email(field_text(form, "email"))
    context: dict[str, Any] = {"claims": claims, "errors": {}, "email": email, "sent": None}
    if throttled := await sign_in.admit(client):
        message, headers = too_many(throttled)
        context["errors"] = {"email": message}
        return page(
            request,
            "forgot_password.html",
            context,
            block="form",
            status_code=429,
            headers={**headers, **NO_REFERRER},
        )
    if error:
        context["errors"] = {"email": error}
        return page(
            request,
            "forgot_password.html",
            context,
            block="form",
            status_code=422,
            headers=NO_REFERRER,
        )
    await recovery.request_reset(email)
    context["sent"] = SENT
    return page(request, "forgot_password.html", context, block="form", headers=NO_REFERRER)


def _reset_form(
    request: HTMXRequest,
    settings: AppSettings,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    context = {
        "claims": None,
        "token": token,
        "errors": errors or {},
        "min_length": settings.password_min_length,
    }
    return page(
        request,
        "reset_password.html",
        context,
        block="form",
        status_code=status_code,
        headers=NO_REFERRER,
    )


def _unusable(request: HTMXRequest) -> Response[Any]:
    context = {"claims": None, "message": LINK_UNUSABLE, "again": "forgot_password"}
    return page(request, "link_unusable.html", context, status_code=400, headers=NO_REFERRER)


@view("/reset-password", name="reset_password")
async def reset_page(
    request: HTMXRequest, recovery: RecoveryDep, settings: AppSettings
) -> Response[Any]:
    token = request.query_params.get("token", "")
    if not await recovery.link_works(token):
        return _unusable(request)
    return _reset_form(request, settings, token)


@post("/reset-password", name="reset_password_submit", opt={SHOWS_FORM_WHEN_EXPIRED: "token"})
async def reset_submit(
    request: HTMXRequest,
    *,
    recovery: RecoveryDep,
    password_policy: PasswordPolicyDep,
    settings: AppSettings,
    client: Client,
    claims: OptionalClaims,
) -> Response[Any]:
    form = await read_form(request)
    token = field_text(form, "token")
    new = field_text(form, "new_password")
    email = await recovery.account_of(token)
    if email is None:
        return _unusable(request)
    errors: dict[str, str] = {}
    if problem := await password_policy.problem(new, email):
        errors["new_password"] = problem
    if "new_password_confirm" in form and field_text(form, "new_password_confirm") != new:
        errors["new_password_confirm"] = PASSWORD_MISMATCH
    if errors:  # the link still works: nothing was used up
        return _reset_form(request, settings, token, errors=errors, status_code=422)
    if not await recovery.reset(token, new, client, current=claims):
        return _unusable(request)
    state = auth_state(request)
    if claims is not None:
        state.sign_out()  # any session this browser had has ended with the others
    state.show_notice("password_reset")
    response = redirect(request, request.app.route_reverse("login"))
    response.headers.update(NO_REFERRER)
    return response
