"""The Security page and what it leads to: the authenticator app (set it up, turn it on
with a first code, turn it off) and the recovery codes (shown once, made anew). Every
route here but the overview needs a fresh proof of the person (``app.web.reauth``)."""

from __future__ import annotations

from typing import Any

import segno
from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.auth import totp
from app.auth.second_factors import AlreadyOn
from app.auth.types import WrongCode
from app.config import Settings
from app.security.tokens import TokenClaims
from app.web.csrf import SHOW_FORM
from app.web.deps import AppSettings, Client, CurrentUser, PasskeysDep, SecondFactorsDep
from app.web.forms import field_text, read_form
from app.web.htmx import page, redirect
from app.web.reauth import fresh_proof
from app.web.routes import view

__all__ = [
    "disable_totp",
    "enable_totp",
    "recovery_codes_page",
    "regenerate_codes",
    "security_page",
    "totp_page",
]

WRONG_CODE = "That code is not right. Enter the six digits the app shows now."
NO_STORE = {"Cache-Control": "no-store"}  # these pages show secrets
QR_NAME = "QR code for your authenticator app"


@view("/account/security", name="security")
async def security_page(
    request: HTMXRequest,
    user: CurrentUser,
    second_factors: SecondFactorsDep,
    passkeys: PasskeysDep,
) -> Response[Any]:
    overview = await second_factors.overview(user)
    changed = request.query_params.get("done", "")
    notice = {"totp-off": "The authenticator app is off. Your password alone signs you in now."}
    context = {
        "claims": user,
        "overview": overview,
        "passkeys": await passkeys.list(user),
        "notice": notice.get(changed),
    }
    return page(request, "security.html", context, headers=NO_STORE)


def _totp_page(
    request: HTMXRequest,
    user: TokenClaims,
    settings: Settings,
    secret: str | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    context: dict[str, Any] = {"claims": user, "on": secret is None, "errors": {}}
    if secret is not None:
        uri = totp.provisioning_uri(secret, account=user.email, issuer=settings.totp_issuer)
        context |= {
            "secret": totp.grouped(secret),
            "uri": uri,
            "qr": _qr_code(uri),
        }
    if error:
        context["errors"] = {"code": error}
    return page(
        request, "totp.html", context, block="form", status_code=status_code, headers=NO_STORE
    )


def _qr_code(uri: str) -> str:
    """The ``otpauth://`` address as an inline SVG drawn here (no outside service, no
    script, no style attribute: the CSP stays strict), named for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=1, border=4, dark="#000", light="#fff", title=QR_NAME, omitsize=True
    )
    return svg.replace("<svg ", f'<svg role="img" aria-label="{QR_NAME}" ', 1)


@view("/account/totp", name="totp", opt=fresh_proof())
async def totp_page(
    request: HTMXRequest, user: CurrentUser, settings: AppSettings, second_factors: SecondFactorsDep
) -> Response[Any]:
    return _totp_page(request, user, settings, await second_factors.setup_secret(user))


@post("/account/totp", name="totp_submit", opt={**SHOW_FORM, **fresh_proof("/account/totp")})
async def enable_totp(
    request: HTMXRequest,
    user: CurrentUser,
    settings: AppSettings,
    second_factors: SecondFactorsDep,
    client: Client,
) -> Response[Any]:
    code = field_text(await read_form(request), "code")
    outcome = await second_factors.enable(user, code, client)
    match outcome:
        case None | AlreadyOn():
            return redirect(request, request.app.route_reverse("recovery_codes"))
        case WrongCode():
            secret = await second_factors.setup_secret(user)
            return _totp_page(request, user, settings, secret, error=WRONG_CODE, status_code=422)


@post("/account/totp/disable", name="totp_disable", opt=fresh_proof("/account/totp"))
async def disable_totp(
    request: HTMXRequest, user: CurrentUser, second_factors: SecondFactorsDep, client: Client
) -> Response[Any]:
    await second_factors.disable(user, client)
    return redirect(request, request.app.route_reverse("security") + "?done=totp-off")


@view("/account/recovery-codes", name="recovery_codes", opt=fresh_proof())
async def recovery_codes_page(
    request: HTMXRequest, user: CurrentUser, second_factors: SecondFactorsDep
) -> Response[Any]:
    codes = await second_factors.codes_page(user)
    if codes is None:  # no app, no codes: the Security page says how to start
        return redirect(request, request.app.route_reverse("security"))
    context = {"claims": user, "codes": codes}
    return page(request, "recovery_codes.html", context, headers=NO_STORE)


@post(
    "/account/recovery-codes",
    name="recovery_codes_submit",
    opt=fresh_proof("/account/recovery-codes"),
)
async def regenerate_codes(
    request: HTMXRequest, user: CurrentUser, second_factors: SecondFactorsDep, client: Client
) -> Response[Any]:
    await second_factors.regenerate(user, client)
    return redirect(request, request.app.route_reverse("recovery_codes"))
