"""The home redirect, the dashboard, and the checks: liveness (``/healthz``) and
readiness (``/readyz``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.plugins.htmx import HTMXRequest

from app.clock import Clock
from app.db.database import Database
from app.web.auth_state import auth_state
from app.web.deps import OptionalClaims
from app.web.guard import NO_AUTH, NotSignedInError
from app.web.htmx import page
from app.web.origin import origin_of
from app.web.routes import view

__all__ = ["dashboard", "healthz", "index", "readyz"]

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
READY_WITHIN = 1.0  # seconds the database has to answer /readyz's query


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


@view("/readyz", name="readyz", media_type="text/plain", opt=NO_AUTH)
async def readyz(request: Request[Any, Any, Any]) -> Response[str]:
    """Readiness, for a load balancer or a Kubernetes ``readinessProbe``: can this process
    do its work now (the database answers a query within a second)? ``/healthz`` is the
    liveness: a process that says "not ready" needs traffic kept away, not a restart."""
    db: Database = request.app.state.core.db
    ready = await db.ping(within=READY_WITHIN)
    return Response(
        "ready" if ready else "not ready",
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"} | ({} if ready else {"Retry-After": "5"}),
        media_type="text/plain",
    )
