"""The home redirect, the dashboard and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.plugins.htmx import HTMXRequest

from app.clock import Clock
from app.web.deps import OptionalClaims, SignedIn
from app.web.guard import GUARDED, auth_result
from app.web.htmx import page

__all__ = ["dashboard", "healthz", "index"]

TIERS = {
    1: "served from the token alone (inside the access window, no database query)",
    2: "served after re-minting the token (access window renewed, no database query)",
    3: "served after checking the session in the database and rotating its id",
}


@get("/", name="index")
async def index(claims: OptionalClaims) -> Response[str]:
    target = "/dashboard" if claims is not None else "/login"
    return Response(
        "", status_code=303, headers={"Location": target, "Vary": "Cookie"}, media_type="text/plain"
    )


@get("/dashboard", name="dashboard", opt=GUARDED)
async def dashboard(request: HTMXRequest, user: SignedIn) -> Response[Any]:
    # One dependency only: Litestar resolves two or more in a task group (~50 us a request).
    clock: Clock = request.app.state.clock
    claims = user
    context = {
        "claims": claims,
        "now": clock.now(),
        "tier": TIERS.get(auth_result(request).tier, ""),
    }
    return page(request, "dashboard.html", context, block="panels")


@get("/healthz", name="healthz", media_type="text/plain")
async def healthz() -> str:
    return "ok"
