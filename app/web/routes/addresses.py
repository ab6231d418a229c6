"""Checking an address and changing it. A link from a mail only shows a page with a
button (a GET never uses it up: mail scanners open links); the button POSTs it."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import Throttled
from app.shared.addresses import email_key, normalize_email
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM, SHOWS_FORM_WHEN_EXPIRED, SHOWS_PAGE_WHEN_EXPIRED
from app.web.deps import Client, CurrentUser, EmailChangeDep, OptionalClaims, VerificationDep
from app.web.forms import field_text, read_form
from app.web.htmx import page, redirect
from app.web.routes import NO_REFERRER, too_many, view

__all__ = [
    "confirm_page",
    "confirm_submit",
    "email_page",
    "email_submit",
    "resend_check",
    "verify_page",
    "verify_submit",
]

LINK_UNUSABLE = (
    "This link does not work any more: it was used already, it expired, or a newer one was sent."
)
ADDRESS_TAKEN_MEANWHILE = "That address is used by another account now: nothing was changed."
WRONG_PASSWORD = "That is not your current password."
KEEP_TOKEN = {SHOWS_FORM_WHEN_EXPIRED: "token"}  # a stale Confirm: the same button, afresh
SAME_ADDRESS = "That is already your address."
CHANGE_SENT = (
    "We sent a link to {new}. Your address stays {old} until you open it and confirm. "
    "We also told {old} that a change was asked for."
)


def _unusable(request: HTMXRequest, message: str = LINK_UNUSABLE) -> Response[Any]:
    context = {"claims": None, "message": message, "again": None}
    return page(request, "link_unusable.html", context, status_code=400, headers=NO_REFERRER)


def _button(request: HTMXRequest, kind: str, token: str, claims: Any) -> Response[Any]:
    context = {"claims": claims, "kind": kind, "token": token}
    return page(request, "confirm_link.html", context, headers=NO_REFERRER)


def _done(request: HTMXRequest, signed_in: bool) -> Response[Any]:
    target = "dashboard" if signed_in else "login"
    response = redirect(request, request.app.route_reverse(target))
    response.headers.update(NO_REFERRER)
    return response


@view("/verify-email", name="verify_email")
async def verify_page(
    request: HTMXRequest, verification: VerificationDep, claims: OptionalClaims
) -> Response[Any]:
    token = request.query_params.get("token", "")
    if not await verification.link_works(token):
        return _unusable(request)
    return _button(request, "verify", token, claims)


@post("/verify-email", name="verify_email_submit", opt=KEEP_TOKEN)
async def verify_submit(
    request: HTMXRequest, verification: VerificationDep, client: Client, claims: OptionalClaims
) -> Response[Any]:
    token = field_text(await read_form(request), "token")
    verified = await verification.verify(token, client, current=claims)
    if verified is None:
        return _unusable(request)
    if verified.issued is not None:
        auth_state(request).sign_in(verified.issued)  # the dashboard now says "verified"
    elif claims is None:
        auth_state(request).show_notice("verified")
    return _done(request, claims is not None)


@post(
    "/verify-email/resend",
    name="verify_email_resend",
    opt={SHOWS_PAGE_WHEN_EXPIRED: "dashboard"},
)
async def resend_check(
    request: HTMXRequest, user: CurrentUser, verification: VerificationDep
) -> Response[Any]:
    await verification.resend_check(user)  # limited like every mail; the same answer anyway
    return redirect(request, request.app.route_reverse("dashboard") + "?check=sent")


def _email_form(
    request: HTMXRequest,
    user: Any,
    *,
    errors: dict[str, str] | None = None,
    sent: str | None = None,
    new_email: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    context = {"claims": user, "errors": errors or {}, "sent": sent, "new_email": new_email}
    return page(
        request,
        "account_email.html",
        context,
        block="form",
        status_code=status_code,
        headers=headers,
    )


@view("/account/email", name="account_email")
async def email_page(request: HTMXRequest, user: CurrentUser) -> Response[Any]:
    return _email_form(request, user)


@post("/account/email", name="account_email_submit", opt=SHOW_FORM)
async def email_submit(
    request: HTMXRequest, *, user: CurrentUser, email_change: EmailChangeDep, client: Client
) -> Response[Any]:
    form = await read_form(request)
    new_email, error = normalize_email(field_text(form, "new_email"))
    password = field_text(form, "current_password")
    errors: dict[str, str] = {}
    if error:
        errors["new_email"] = error
    elif email_key(new_email) == email_key(user.email):
        errors["new_email"] = SAME_ADDRESS
    if not password:
        errors["current_password"] = "Enter your current password."
    if errors:
        return _email_form(request, user, errors=errors, new_email=new_email, status_code=422)
    outcome = await email_change.request_change(user, new_email, password, client)
    if isinstance(outcome, Throttled):
        message, headers = too_many(outcome)
        return _email_form(
            request,
            user,
            errors={"current_password": message},
            new_email=new_email,
            status_code=429,
            headers=headers,
        )
    if not outcome:
        errors["current_password"] = WRONG_PASSWORD
        return _email_form(request, user, errors=errors, new_email=new_email, status_code=422)
    sent = CHANGE_SENT.format(new=new_email, old=user.email)
    return _email_form(request, user, sent=sent)


@view("/confirm-email", name="confirm_email")
async def confirm_page(
    request: HTMXRequest, email_change: EmailChangeDep, claims: OptionalClaims
) -> Response[Any]:
    token = request.query_params.get("token", "")
    if not await email_change.link_works(token):
        return _unusable(request)
    return _button(request, "change", token, claims)


@post("/confirm-email", name="confirm_email_submit", opt=KEEP_TOKEN)
async def confirm_submit(
    request: HTMXRequest, email_change: EmailChangeDep, client: Client, claims: OptionalClaims
) -> Response[Any]:
    token = field_text(await read_form(request), "token")
    confirmed = await email_change.confirm_change(token, client, current=claims)
    if confirmed == "taken":
        return _unusable(request, ADDRESS_TAKEN_MEANWHILE)
    if confirmed == "unusable":
        return _unusable(request)
    state = auth_state(request)
    if confirmed.issued is not None:
        state.sign_in(confirmed.issued)  # this browser stays signed in, as the new address
    elif claims is None:
        state.show_notice("email_changed")
    return _done(request, claims is not None)
