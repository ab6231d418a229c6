"""The home redirect, the dashboard and the health check."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Response
from litestar.plugins.htmx import HTMXRequest

from app.clock import Clock
from app.web.auth_state import auth_state
from app.web.deps import OptionalClaims
from app.web.guard import NO_AUTH, NotSignedInError
from app.web.htmx import page
from app.web.origin import origin_of
from app.web.routes import view

__all__ = ["dashboard", "healthz", "index"]

# How the guard served this request, for the dashboard's "How this works". The phrases
# "token alone", "re-minting" and "rotating" are what the e2e suite looks for.
TIERS = {
    (1, False): "From the token alone: this request was inside the access window, so it "
    "needed no database query.",
    (2, False): "By re-minting the token: the access window had ended, so a new token with "
    "a new access window was issued, still without a database query.",
    (3, True): "By checking your session in the database and rotating its secret: the token "
    "had expired, so the session was looked up and given a new secret and a new token.",
    (3, False): "By checking your session in the database: the list of ended sessions could "
    "not confirm it was current.",
}
WELCOME_WINDOW = 120  # seconds after registering in which the dashboard says "Account created"


@view("/", name="index")
async def index(claims: OptionalClaims) -> Response[str]:
    target = "/dashboard" if claims is not None else "/login"
    return Response(
        "", status_code=303, headers={"Location": target, "Vary": "Cookie"}, media_type="text/plain"
    )


@view("/dashboard", name="dashboard")
async def dashboard(request: HTMXRequest) -> Response[Any]:
    # The hottest page takes no dependency: the guard's result is read from the request
    # state directly (Litestar's dependency resolution costs more than the guard itself).
    state = auth_state(request)
    claims = state.claims
    if claims is None:
        raise NotSignedInError()
    clock: Clock = request.app.state.clock
    now = clock.now()
    context = {
        "claims": claims,
        "now": now,
        "tier": TIERS.get((state.authentication.tier, state.authentication.rotated), ""),
        "check_sent": request.query_params.get("check") == "sent",
        "session_ends_at": claims.session_started_at + request.app.state.settings.session_max_age,
        "welcome": _just_registered(request, claims.session_started_at, now),
    }
    return page(request, "dashboard.html", context, block="panels")


def _just_registered(request: HTMXRequest, started_at: int, now: int) -> bool:
    """The registration form sent this browser here (``303`` to ``/dashboard``, or htmx's
    ``HX-Redirect``) a moment ago: the browser comes from our own register page with a
    session that has just begun. Nothing in the redirect changes for it."""
    if now - started_at > WELCOME_WINDOW:
        return False
    referer = request.headers.get("referer", "")
    own = origin_of(str(request.base_url))
    return (
        own is not None
        and origin_of(referer) == own
        and (urlsplit(referer).path == request.app.route_reverse("register"))
    )


@view("/healthz", name="healthz", media_type="text/plain", opt=NO_AUTH)
async def healthz() -> str:
    return "ok"
