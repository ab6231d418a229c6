"""``/login/two-factor``: the second step of signing in, for an account with the
authenticator app on. The pending sign-in is its own sealed cookie (``app.auth.pending``),
never a session; this page takes a code of the app or a recovery code."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth.types import PendingOver, SignedIn, Throttled, WrongCode
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.csrf import SHOW_FORM
from app.web.deps import Client, Cookies, OptionalClaims, SignInDep
from app.web.forms import field_text, read_form
from app.web.htmx import page, redirect
from app.web.routes import too_many, view

__all__ = ["two_factor_page", "two_factor_submit"]

WRONG_CODE = "That code did not work. Enter the six digits the app shows now, or a recovery code."
EMPTY = "Enter the code from your authenticator app, or a recovery code."


def _page(
    request: HTMXRequest,
    claims: TokenClaims | None,
    *,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    context = {"claims": claims, "errors": {"code": error} if error else {}}
    headers = {**(headers or {}), "Cache-Control": "no-store"}
    return page(
        request, "two_factor.html", context, block="form", status_code=status_code, headers=headers
    )


def _start_again(request: HTMXRequest, *, expired: bool) -> Response[Any]:
    state = auth_state(request)
    state.end_pending()
    if expired:
        state.show_notice("mfa_expired")
    return redirect(request, request.app.route_reverse("login"))


@view("/login/two-factor", name="two_factor")
async def two_factor_page(
    request: HTMXRequest, claims: OptionalClaims, sign_in: SignInDep, app_cookies: Cookies
) -> Response[Any]:
    pending = sign_in.pending.open(request.cookies.get(app_cookies.pending.name))
    if pending is None:
        return redirect(request, request.app.route_reverse("login"))
    if pending.expired(sign_in.clock.now(), sign_in.pending.ttl):
        return _start_again(request, expired=True)
    return _page(request, claims)


@post("/login/two-factor", name="two_factor_submit", opt=SHOW_FORM)
async def two_factor_submit(
    request: HTMXRequest,
    sign_in: SignInDep,
    client: Client,
    claims: OptionalClaims,
    app_cookies: Cookies,
) -> Response[Any]:
    sealed = request.cookies.get(app_cookies.pending.name)
    code = field_text(await read_form(request), "code")
    if not code.strip() and sign_in.pending.open(sealed) is not None:
        return _page(request, claims, error=EMPTY, status_code=422)
    outcome = await sign_in.second_factor(sealed, code, client, current=claims)
    match outcome:
        case SignedIn():
            pending = sign_in.pending.open(sealed)
            state = auth_state(request)
            state.sign_in(outcome.issued, outcome.device)
            state.end_pending()
            target = (pending.next if pending else "") or request.app.route_reverse("dashboard")
            return redirect(request, target)
        case WrongCode():
            return _page(request, claims, error=WRONG_CODE, status_code=401)
        case Throttled():
            message, headers = too_many(outcome)
            return _page(request, claims, error=message, status_code=429, headers=headers)
        case PendingOver():
            return _start_again(request, expired=outcome.expired)
