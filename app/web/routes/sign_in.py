"""Register, sign in, sign out. Each handler parses the form, calls one service method and
picks a response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import (
    AccountDisabled,
    EmailTaken,
    SecondFactorNeeded,
    SignedIn,
    Throttled,
    WrongCredentials,
)
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM, STALE_TOKEN_OK
from app.web.deps import AppSettings, Client, Cookies, OptionalClaims, PasswordPolicyDep, SignInDep
from app.web.forms import CredentialsForm, read_form, safe_next
from app.web.htmx import page, redirect
from app.web.origin import origin_of
from app.web.routes import too_many, view

__all__ = ["login", "login_page", "logout", "register", "register_page"]

EMAIL_TAKEN = "This email address is already registered. Sign in instead?"
BAD_CREDENTIALS = "That email and password do not match an account."
ACCOUNT_DISABLED = "This account is disabled. If you do not know why, write to us."
SIGNED_OUT = "You are signed out."
SIGNED_IN_PAGES = ("/dashboard", "/sessions", "/account/", "/logout")
NOTICES = {
    "expired": "Your session expired. Please sign in again.",
    "ended": "Your session has ended. Please sign in again.",
    "password_reset": "Your password was changed. Sign in with the new one.",
    "verified": "Your email address is confirmed. Sign in to continue.",
    "email_changed": "Your email address was changed. Sign in with the new one.",
    "mfa_expired": "That took too long. Please sign in again.",
    "deleted": "Your account was deleted. Everything we kept about it is gone.",
}


@dataclass(frozen=True, slots=True)
class Invalid:
    """The form's fields were refused (each error is next to its field)."""


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
    # The page says who is signed in: never cached, and never shared between cookies.
    headers = {**(headers or {}), "Cache-Control": "no-store", "Vary": "Cookie"}
    context = {
        "form": form,
        "claims": claims,
        "message": message,
        "notice": notice,
        "min_length": settings.password_min_length,
    }
    return page(request, template, context, block="form", status_code=status_code, headers=headers)


def _throttled_page(
    request: HTMXRequest,
    template: str,
    form: CredentialsForm,
    claims: TokenClaims | None,
    throttled: Throttled,
) -> Response[Any]:
    message, headers = too_many(throttled)
    return _form_page(
        request, template, form, claims, status_code=429, message=message, headers=headers
    )


@view("/register", name="register")
async def register_page(request: HTMXRequest, claims: OptionalClaims) -> Response[Any]:
    return _form_page(request, "register.html", CredentialsForm(), claims)


@post("/register", name="register_submit", opt=SHOW_FORM)
async def register(
    request: HTMXRequest,
    sign_in: SignInDep,
    password_policy: PasswordPolicyDep,
    client: Client,
    claims: OptionalClaims,
) -> Response[Any]:
    form = CredentialsForm.parse(await read_form(request))
    outcome: Throttled | Invalid | EmailTaken | SignedIn | None = await sign_in.admit(client)
    if outcome is None:  # counted before the form is judged
        if not await form.validate_registration(password_policy):
            outcome = Invalid()
        else:
            outcome = await sign_in.register(form.email, form.password, client, current=claims)
    match outcome:
        case Throttled():
            return _throttled_page(request, "register.html", form, claims, outcome)
        case Invalid():
            return _form_page(request, "register.html", form, claims, status_code=422)
        case EmailTaken():
            form.errors["email"] = EMAIL_TAKEN
            return _form_page(request, "register.html", form, claims, status_code=409)
        case SignedIn():
            auth_state(request).sign_in(outcome.issued, outcome.device)
            return redirect(request, request.app.route_reverse("dashboard"))


@view("/login", name="login")
async def login_page(
    request: HTMXRequest, claims: OptionalClaims, app_cookies: Cookies
) -> Response[Any]:
    form = CredentialsForm(next=safe_next(request.query_params.get("next"), default=""))
    cookie_name = app_cookies.notice.name
    notice = NOTICES.get(request.cookies.get(cookie_name, ""))
    if cookie_name in request.cookies:
        auth_state(request).show_notice(None)  # shown once
    elif claims is None and _came_from_a_signed_in_page(request):
        notice = SIGNED_OUT
    return _form_page(request, "login.html", form, claims, notice=notice)


def _came_from_a_signed_in_page(request: HTMXRequest) -> bool:
    """Sign-out clears every cookie (``Clear-Site-Data``), a notice cookie included, and
    keeps ``Location: /login``: the sign-in page knows it follows a sign-out because the
    browser comes, signed out, from a page only a signed-in person sees (or the sign-out
    page). The guard's own redirects carry their notice in a cookie instead."""
    referer = request.headers.get("referer", "")
    origin = origin_of(referer)
    if origin is None or origin != origin_of(str(request.base_url)):
        return False
    path = urlsplit(referer).path
    return path.startswith(SIGNED_IN_PAGES) and "next" not in request.query_params


@post("/login", name="login_submit", opt=SHOW_FORM)
async def login(
    request: HTMXRequest,
    sign_in: SignInDep,
    client: Client,
    claims: OptionalClaims,
    app_cookies: Cookies,
) -> Response[Any]:
    form = CredentialsForm.parse(await read_form(request))
    form.next = safe_next(form.next, default="")
    outcome: (
        Throttled
        | Invalid
        | WrongCredentials
        | AccountDisabled
        | SignedIn
        | SecondFactorNeeded
        | None
    ) = await sign_in.admit(client)
    if outcome is None:
        if not form.validate_login():
            outcome = Invalid()
        else:
            device = request.cookies.get(app_cookies.device.name)
            outcome = await sign_in.login(
                form.email,
                form.password,
                client,
                device_cookie=device,
                current=claims,
                next=form.next,
            )
    match outcome:
        case Throttled():
            return _throttled_page(request, "login.html", form, claims, outcome)
        case Invalid():
            return _form_page(request, "login.html", form, claims, status_code=422)
        case WrongCredentials():  # one message, whichever of the two was wrong (point 10)
            return _form_page(
                request, "login.html", form, claims, status_code=401, message=BAD_CREDENTIALS
            )
        case AccountDisabled():
            return _form_page(
                request, "login.html", form, claims, status_code=403, message=ACCOUNT_DISABLED
            )
        case SignedIn():
            auth_state(request).sign_in(outcome.issued, outcome.device)
            return redirect(request, form.next or request.app.route_reverse("dashboard"))
        case SecondFactorNeeded():  # no auth cookie yet: the pending sign-in's own
            auth_state(request).await_second_factor(outcome.pending, outcome.max_age)
            return redirect(request, request.app.route_reverse("two_factor"))


@post("/logout", name="logout", opt={STALE_TOKEN_OK: True})
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
