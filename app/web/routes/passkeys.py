"""Passkeys: the list on ``/account/passkeys`` (delete is a plain form), and the JSON
routes behind the buttons that ``static/passkeys.js`` drives - options out (the standard
``PublicKeyCredential*OptionsJSON``), the browser's ``PublicKeyCredential.toJSON()`` in -
to add one, to sign in with one, and to confirm it's you with one."""

from __future__ import annotations

import json
from typing import Any

from litestar import Response, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from app.auth.passkeys import PasskeyRefused, Purpose
from app.auth.types import SignedIn, Throttled
from app.web.auth_state import auth_state
from app.web.deps import (
    Client,
    Cookies,
    CurrentUser,
    OptionalClaims,
    PasskeysDep,
    ReauthDep,
    SignInDep,
)
from app.web.forms import safe_next
from app.web.htmx import page, redirect
from app.web.reauth import fresh_proof
from app.web.routes import too_many, view

__all__ = [
    "add_passkey",
    "delete_passkey",
    "passkey_options",
    "passkeys_page",
    "reauth_options",
    "reauth_with_passkey",
    "sign_in_options",
    "sign_in_with_passkey",
]

NO_STORE = {"Cache-Control": "no-store"}
NOT_SIGNED_IN = (
    "That passkey did not sign you in. It may have been removed from your account, or the "
    "browser could not check that it is you. Try again, or sign in with your password."
)
NOT_ADDED = "The passkey was not added. Please try again."
NOT_CONFIRMED = "That passkey did not confirm it is you. Try again, or use your password."
UNAVAILABLE = "Passkeys are not available on this site's address."
MAX_NAME = 64


def _json(content: dict[str, Any], status_code: int = 200, **headers: str) -> Response[Any]:
    return Response(
        content, status_code=status_code, media_type="application/json",
        headers={**NO_STORE, **headers},
    )  # fmt: skip


async def _body(request: HTMXRequest) -> dict[str, Any]:
    """The JSON object posted, or {} for anything else (judged as a refused credential)."""
    try:
        value = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


@view("/account/passkeys", name="passkeys")
async def passkeys_page(
    request: HTMXRequest, user: CurrentUser, passkeys: PasskeysDep
) -> Response[Any]:
    notice = {"added": "The passkey was added.", "removed": "The passkey was removed."}
    context = {
        "claims": user,
        "passkeys": await passkeys.list(user),
        "available": passkeys.available,
        "notice": notice.get(request.query_params.get("done", "")),
    }
    return page(request, "passkeys.html", context, headers=NO_STORE)


@post("/account/passkeys/options", name="passkey_options", opt=fresh_proof("/account/passkeys"))
async def passkey_options(user: CurrentUser, passkeys: PasskeysDep) -> Response[Any]:
    if not passkeys.available:
        return _json({"error": UNAVAILABLE}, 409)
    return _json({"options": json.loads(await passkeys.registration_options(user))})


@post("/account/passkeys", name="passkey_add", opt=fresh_proof("/account/passkeys"))
async def add_passkey(
    request: HTMXRequest, user: CurrentUser, passkeys: PasskeysDep, client: Client
) -> Response[Any]:
    body = await _body(request)
    name = " ".join(str(body.get("name") or "").split())[:MAX_NAME] or "Passkey"
    added = await passkeys.register(user, name, body.get("credential"), client)
    if isinstance(added, PasskeyRefused):
        return _json({"error": NOT_ADDED}, 400)
    return _json({"redirect": request.app.route_reverse("passkeys") + "?done=added"}, 201)


@post(
    "/account/passkeys/{passkey_id:int}/delete",
    name="passkey_delete",
    opt=fresh_proof("/account/passkeys"),
)
async def delete_passkey(
    request: HTMXRequest,
    passkey_id: FromPath[int],
    user: CurrentUser,
    passkeys: PasskeysDep,
    client: Client,
) -> Response[Any]:
    await passkeys.delete(user, passkey_id, client)  # gone already: the list says so
    return redirect(request, request.app.route_reverse("passkeys") + "?done=removed")


@post("/login/passkey/options", name="sign_in_passkey_options")
async def sign_in_options(passkeys: PasskeysDep) -> Response[Any]:
    if not passkeys.available:
        return _json({"error": UNAVAILABLE}, 409)
    return _json({"options": json.loads(await passkeys.authentication_options(Purpose.SIGN_IN))})


@post("/login/passkey", name="sign_in_passkey")
async def sign_in_with_passkey(
    request: HTMXRequest,
    sign_in: SignInDep,
    client: Client,
    claims: OptionalClaims,
    app_cookies: Cookies,
) -> Response[Any]:
    admitted = await sign_in.admit(client)
    if isinstance(admitted, Throttled):
        message, headers = too_many(admitted)
        return _json({"error": message}, 429, **headers)
    body = await _body(request)
    outcome = await sign_in.with_passkey(
        body.get("credential"),
        client,
        device_cookie=request.cookies.get(app_cookies.device.name),
        current=claims,
    )
    if not isinstance(outcome, SignedIn):
        return _json({"error": NOT_SIGNED_IN}, 401)
    auth_state(request).sign_in(outcome.issued, outcome.device)
    target = safe_next(str(body.get("next") or ""), request.app.route_reverse("dashboard"))
    return _json({"redirect": target})


@post("/reauth/passkey/options", name="reauth_passkey_options")
async def reauth_options(user: CurrentUser, passkeys: PasskeysDep) -> Response[Any]:
    if not passkeys.available:
        return _json({"error": UNAVAILABLE}, 409)
    options = await passkeys.authentication_options(Purpose.REAUTH, user.user_id)
    return _json({"options": json.loads(options)})


@post("/reauth/passkey", name="reauth_passkey")
async def reauth_with_passkey(
    request: HTMXRequest, user: CurrentUser, reauth: ReauthDep, client: Client
) -> Response[Any]:
    body = await _body(request)
    outcome = await reauth.confirm_passkey(user, body.get("credential"), client)
    if isinstance(outcome, PasskeyRefused):
        return _json({"error": NOT_CONFIRMED}, 401)
    auth_state(request).renew(outcome)
    return _json({"redirect": safe_next(str(body.get("next") or ""), "/account/security")})
