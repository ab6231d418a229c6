"""Register, log in, log out. Each handler parses the form, calls one service method and
picks a response."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.service import EmailTakenError
from app.config import Settings
from app.web.deps import AppSettings, Auth, Client, OptionalClaims
from app.web.forms import CredentialsForm, safe_next
from app.web.guard import NOTICE_COOKIE, clear_cookie, issue_cookie, set_notice
from app.web.htmx import page, redirect

__all__ = ["login", "login_page", "logout", "register", "register_page"]

EMAIL_TAKEN = "This email address is already registered. Sign in instead?"
BAD_CREDENTIALS = "That email and password do not match an account."
NOTICES = {
    "expired": "Your session expired. Please sign in again.",
    "ended": "Your session has ended. Please sign in again.",
    "signed_out": "You are signed out.",
}


def _form_page(
    request: HTMXRequest,
    template: str,
    form: CredentialsForm,
    claims: OptionalClaims,
    *,
    status_code: int = 200,
    message: str | None = None,
    notice: str | None = None,
) -> Response[Any]:
    settings: Settings = request.app.state.settings
    context = {
        "form": form,
        "claims": claims,
        "message": message,
        "notice": notice,
        "min_length": settings.password_min_length,
    }
    return page(request, template, context, block="form", status_code=status_code)


@get("/register", name="register")
async def register_page(request: HTMXRequest, claims: OptionalClaims) -> Response[Any]:
    return _form_page(request, "register.html", CredentialsForm(), claims)


@post("/register", name="register_submit")
async def register(
    request: HTMXRequest,
    auth: Auth,
    settings: AppSettings,
    client: Client,
    claims: OptionalClaims,
) -> Response[Any]:
    form = CredentialsForm.parse(await request.form())
    if not form.validate_registration(settings):
        return _form_page(request, "register.html", form, claims, status_code=422)
    try:
        issued = await auth.register(form.email, form.password, client)
    except EmailTakenError:
        form.errors["email"] = EMAIL_TAKEN
        return _form_page(request, "register.html", form, claims, status_code=409)
    issue_cookie(request, issued)
    return redirect(request, request.app.route_reverse("dashboard"))


@get("/login", name="login")
async def login_page(request: HTMXRequest, claims: OptionalClaims) -> Response[Any]:
    form = CredentialsForm(next=safe_next(request.query_params.get("next"), default=""))
    notice = NOTICES.get(request.cookies.get(NOTICE_COOKIE, ""))
    if NOTICE_COOKIE in request.cookies:
        set_notice(request, None)  # shown once
    return _form_page(request, "login.html", form, claims, notice=notice)


@post("/login", name="login_submit")
async def login(
    request: HTMXRequest, auth: Auth, client: Client, claims: OptionalClaims
) -> Response[Any]:
    form = CredentialsForm.parse(await request.form())
    form.next = safe_next(form.next, default="")
    if not form.validate_login():
        return _form_page(request, "login.html", form, claims, status_code=422)
    issued = await auth.login(form.email, form.password, client)
    if issued is None:
        # One message, whichever of the two was wrong (critique point 10).
        return _form_page(
            request, "login.html", form, claims, status_code=401, message=BAD_CREDENTIALS
        )
    issue_cookie(request, issued)
    return redirect(request, form.next or request.app.route_reverse("dashboard"))


@post("/logout", name="logout")
async def logout(
    request: HTMXRequest, auth: Auth, client: Client, claims: OptionalClaims
) -> Response[Any]:
    if claims is not None:
        await auth.logout(claims, client)
    clear_cookie(request)
    set_notice(request, "signed_out")
    return redirect(request, request.app.route_reverse("login"))
