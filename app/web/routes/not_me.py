"""The "not me" link of a new-device alert: opening it shows what happened and changes
nothing (mail scanners open links); its button ends that sign-in at once, everywhere.
Like every page whose address holds a mailed token, no referrer and no cache."""

from __future__ import annotations

from typing import Any

from litestar import Response, post
from litestar.plugins.htmx import HTMXRequest

from app.web.csrf import SHOWS_FORM_WHEN_EXPIRED
from app.web.deps import AlertsDep, Client
from app.web.forms import field_text, read_form
from app.web.htmx import page
from app.web.routes import NO_REFERRER, view

__all__ = ["not_me_page", "not_me_submit"]

LINK_UNUSABLE = (
    "This link does not work: it was used already, or it expired. If someone else signed "
    "in to your account, reset your password: every session ends with it."
)


def _unusable(request: HTMXRequest) -> Response[Any]:
    context = {"claims": None, "message": LINK_UNUSABLE, "again": None}
    return page(request, "link_unusable.html", context, status_code=400, headers=NO_REFERRER)


@view("/not-me", name="not_me")
async def not_me_page(request: HTMXRequest, alerts: AlertsDep) -> Response[Any]:
    token = request.query_params.get("token", "")
    report = await alerts.report_of(token)
    if report is None:
        return _unusable(request)
    context = {"claims": None, "report": report, "token": token}
    return page(request, "not_me.html", context, headers=NO_REFERRER)


@post("/not-me", name="not_me_submit", opt={SHOWS_FORM_WHEN_EXPIRED: "token"})
async def not_me_submit(request: HTMXRequest, alerts: AlertsDep, client: Client) -> Response[Any]:
    token = field_text(await read_form(request), "token")
    if not await alerts.not_me(token, client):
        return _unusable(request)
    return page(request, "not_me_done.html", {"claims": None}, headers=NO_REFERRER)
