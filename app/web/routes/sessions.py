"""The sessions page: every live session of the user, with a way to end each one."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from app.auth.events import EventKind
from app.web.auth_state import auth_state
from app.web.deps import Account, Client, SignedIn
from app.web.htmx import is_htmx, page, redirect
from app.web.routes import view

__all__ = ["revoke_others", "revoke_session", "sessions_page"]

EVENT_LABELS = {
    EventKind.REGISTERED: "Account created",
    EventKind.SIGNED_IN: "Signed in",
    EventKind.SIGN_IN_FAILED: "Failed sign-in",
    EventKind.SIGNED_OUT: "Signed out",
    EventKind.ROTATED: "Session renewed",
    EventKind.REUSE_DETECTED: "Stolen session detected and ended",
    EventKind.SESSION_REVOKED: "Session ended",
    EventKind.PASSWORD_CHANGED: "Password changed",
    EventKind.PASSWORD_RESET: "Password reset by a link sent by mail",
    EventKind.EMAIL_VERIFIED: "Email address confirmed",
    EventKind.EMAIL_CHANGE_REQUESTED: "Change of email address asked for",
    EventKind.EMAIL_CHANGED: "Email address changed",
    EventKind.MAIL_FAILED: "A mail to you could not be delivered",
}


@view("/sessions", name="sessions")
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


@post("/sessions/{public_id:str}/revoke", name="session_revoke")
async def revoke_session(
    request: HTMXRequest, public_id: FromPath[str], user: SignedIn, account: Account, client: Client
) -> Response[Any]:
    if not await account.revoke(user, public_id, client):
        raise NotFoundException()
    if public_id == user.session_id:  # ending this very session is signing out
        auth_state(request).sign_out()
        return redirect(request, request.app.route_reverse("login"))
    if is_htmx(request):
        return Response("", status_code=200, media_type="text/html")  # the row is swapped away
    return redirect(request, request.app.route_reverse("sessions"))


@post("/sessions/revoke-others", name="sessions_revoke_others")
async def revoke_others(
    request: HTMXRequest, user: SignedIn, account: Account, client: Client
) -> Response[Any]:
    await account.revoke_others(user, client)
    return redirect(request, request.app.route_reverse("sessions"))
