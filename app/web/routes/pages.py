"""The home redirect, the dashboard and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.plugins.htmx import HTMXRequest

from app.clock import Clock
from app.web.auth_state import auth_state
from app.web.deps import OptionalClaims
from app.web.guard import NO_AUTH, NotSignedInError
from app.web.htmx import page
from app.web.routes import view

__all__ = ["dashboard", "healthz", "index"]

TIERS = {
    (1, False): "served from the token alone (inside the access window, no database query)",
    (2, False): "served after re-minting the token (access window renewed, no database query)",
    (3, True): "served after checking the session in the database and rotating its id",
    (3, False): "served after checking the session in the database (the denylist could not "
    "confirm it is current)",
}


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
    context = {
        "claims": claims,
        "now": clock.now(),
        "tier": TIERS.get((state.authentication.tier, state.authentication.rotated), ""),
        "check_sent": request.query_params.get("check") == "sent",
    }
    return page(request, "dashboard.html", context, block="panels")


@view("/healthz", name="healthz", media_type="text/plain", opt=NO_AUTH)
async def healthz() -> str:
    return "ok"
