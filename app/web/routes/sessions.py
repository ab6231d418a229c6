"""The sessions page: every live session of the user, with a way to end each one."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from app.web.deps import Account, Client, SignedIn
from app.web.guard import GUARDED, clear_cookie
from app.web.htmx import is_htmx, page, redirect

__all__ = ["revoke_others", "revoke_session", "sessions_page"]

EVENT_LABELS = {
    "registered": "Account created",
    "signed_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "signed_out": "Signed out",
    "rotated": "Session renewed",
    "reuse_detected": "Stolen session detected and ended",
    "session_revoked": "Session ended",
    "password_changed": "Password changed",
}


@get("/sessions", name="sessions", opt=GUARDED)
async def sessions_page(request: HTMXRequest, user: SignedIn, account: Account) -> Response[Any]:
    overview = await account.overview(user)
    context = {
        "claims": user,
        "sessions": overview.sessions,
        "events": overview.events,
        "now": overview.now,
        "event_labels": EVENT_LABELS,
    }
    return page(request, "sessions.html", context, block="sessions")


@post("/sessions/{public_id:str}/revoke", name="session_revoke", opt=GUARDED)
async def revoke_session(
    request: HTMXRequest, public_id: FromPath[str], user: SignedIn, account: Account, client: Client
) -> Response[Any]:
    if not await account.revoke(user, public_id, client):
        raise NotFoundException()
    if public_id == user.session_id:  # ending this very session is signing out
        clear_cookie(request)
        return redirect(request, request.app.route_reverse("login"))
    if is_htmx(request):
        return Response("", status_code=200, media_type="text/html")  # the row is swapped away
    return redirect(request, request.app.route_reverse("sessions"))


@post("/sessions/revoke-others", name="sessions_revoke_others", opt=GUARDED)
async def revoke_others(
    request: HTMXRequest, user: SignedIn, account: Account, client: Client
) -> Response[Any]:
    await account.revoke_others(user, client)
    return redirect(request, request.app.route_reverse("sessions"))
