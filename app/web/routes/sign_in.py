"""Register, sign in, sign out. Each handler parses the form, calls one service method and
picks a response."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import EmailTaken, Throttled
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.deps import AppSettings, Client, OptionalClaims, SignInDep
from app.web.forms import CredentialsForm, read_form, safe_next
from app.web.htmx import page, redirect

__all__ = ["login", "login_page", "logout", "register", "register_page", "too_many"]

EMAIL_TAKEN = "This email address is already registered. Sign in instead?"
BAD_CREDENTIALS = "That email and password do not match an account."
TOO_MANY = "Too many attempts. Please try again in {wait}."
NOTICES = {
    "expired": "Your session expired. Please sign in again.",
    "ended": "Your session has ended. Please sign in again.",
}


def too_many(throttled: Throttled) -> tuple[str, dict[str, str]]:
    """The message and the ``Retry-After`` header for a throttled attempt."""
    minutes = -(-throttled.retry_after // 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return TOO_MANY.format(wait=wait), {"Retry-After": str(throttled.retry_after)}


def _form_page(
    request: HTMXRequest,
    template: str,
    form: CredentialsForm,
    claims: TokenClaims | None,
    *,
    status_code: int = 200,
    message: str | None = None,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    settings: AppSettings = request.app.state.settings
    context = {
        "form": form,
        "claims": claims,
        "message": message,
        "notice": notice,
        "min_length": settings.password_min_length,
    }
    return page(request, template, context, block="form", status_code=status_code, headers=headers)


@get("/register", name="register")
async def register_page(request: HTMXRequest, claims: OptionalClaims) -> Response[Any]:
    return _form_page(request, "register.html", CredentialsForm(), claims)


@post("/register", name="register_submit")
async def register(
    request: HTMXRequest,
    sign_in: SignInDep,
    settings: AppSettings,
    client: Client,
    claims: OptionalClaims,
) -> Response[Any]:
    form = CredentialsForm.parse(await read_form(request))
    if not form.validate_registration(settings):
        return _form_page(request, "register.html", form, claims, status_code=422)
    outcome = await sign_in.register(form.email, form.password, client)
    if isinstance(outcome, Throttled):
        message, headers = too_many(outcome)
        return _form_page(
            request,
            "register.html",
            form,
            claims,
            status_code=429,
            message=message,
            headers=headers,
        )
    if isinstance(outcome, EmailTaken):
        form.errors["email"] = EMAIL_TAKEN
        return _form_page(request, "register.html", form, claims, status_code=409)
    auth_state(request).sign_in(outcome)
    return redirect(request, request.app.route_reverse("dashboard"))


@get("/login", name="login")
async def login_page(request: HTMXRequest, claims: OptionalClaims) -> Response[Any]:
    form = CredentialsForm(next=safe_next(request.query_params.get("next"), default=""))
    cookie_name = request.app.state.settings.notice_cookie_name
    notice = NOTICES.get(request.cookies.get(cookie_name, ""))
    if cookie_name in request.cookies:
        auth_state(request).show_notice(None)  # shown once
    return _form_page(request, "login.html", form, claims, notice=notice)


@post("/login", name="login_submit")
async def login(
    request: HTMXRequest, sign_in: SignInDep, client: Client, claims: OptionalClaims
) -> Response[Any]:
    form = CredentialsForm.parse(await read_form(request))
    form.next = safe_next(form.next, default="")
    if not form.validate_login():
        return _form_page(request, "login.html", form, claims, status_code=422)
    outcome = await sign_in.login(form.email, form.password, client)
    if isinstance(outcome, Throttled):
        message, headers = too_many(outcome)
        return _form_page(
            request, "login.html", form, claims, status_code=429, message=message, headers=headers
        )
    if outcome is None:
        # One message, whichever of the two was wrong (critique point 10).
        return _form_page(
            request, "login.html", form, claims, status_code=401, message=BAD_CREDENTIALS
        )
    auth_state(request).sign_in(outcome)
    return redirect(request, form.next or request.app.route_reverse("dashboard"))


@post("/logout", name="logout")
async def logout(
    request: HTMXRequest, sign_in: SignInDep, client: Client, claims: OptionalClaims
) -> Response[Any]:
    if claims is not None:
        await sign_in.logout(claims, client)
    auth_state(request).sign_out()
    response = redirect(request, request.app.route_reverse("login"))
    # The browser also forgets everything else it kept for this site.
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    return response
