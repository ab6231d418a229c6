"""The recipe of README's "Protecting your own app": a guarded page with a form, and a
guarded JSON route, as a developer adds their own to this app. Copy this module, rename
the paths, and add the handlers to the ``guarded`` router in ``app/main.py`` (a JSON route
with a path under ``/api/``). That is all the guarding there is:

- the router's ``opt=GUARDED`` lets only signed-in users reach the handler (others get
  ``303`` to ``/login?next=...``, or ``401 {"error": "not_signed_in"}`` under ``/api/``);
- ``user: CurrentUser`` hands the handler the token's claims (id, email, session), read
  from the token with no database query;
- a form carries ``csrf_token()`` in ``_csrf_token`` (a JSON call sends it in
  ``X-CSRFToken``: every page puts it in ``hx-headers``); a cross-site POST is refused
  before the handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response, get, post
from litestar.params import JSONBody
from litestar.plugins.htmx import HTMXRequest

from app.web.deps import CurrentUser
from app.web.forms import field_text, read_form
from app.web.htmx import page
from app.web.routes import view

__all__ = ["Message", "example_api", "example_api_submit", "example_page", "example_submit"]

MAX_MESSAGE = 200  # characters


def _problem(message: str) -> str | None:
    if not message.strip():
        return "Write a message."
    if len(message) > MAX_MESSAGE:
        return f"Keep it under {MAX_MESSAGE} characters."
    return None


# -- a guarded page with a form (on the guarded router) ------------------------------------


@view("/example", name="example")
async def example_page(request: HTMXRequest, user: CurrentUser) -> Response[Any]:
    return page(request, "example.html", {"claims": user, "errors": {}, "said": None})


@post("/example", name="example_submit")
async def example_submit(request: HTMXRequest, user: CurrentUser) -> Response[Any]:
    message = field_text(await read_form(request), "message")
    if problem := _problem(message):
        context = {"claims": user, "errors": {"message": problem}, "said": None}
        return page(request, "example.html", context, status_code=422)
    return page(request, "example.html", {"claims": user, "errors": {}, "said": message})


# -- a guarded JSON route (a path under /api/, on the guarded router too) ---------------


@get("/api/example", name="api_example", sync_to_thread=False)
def example_api(user: CurrentUser) -> dict[str, Any]:
    return {"user_id": user.user_id, "email": user.email}


@dataclass
class Message:
    message: str


@post("/api/example", name="api_example_submit", status_code=200, sync_to_thread=False)
def example_api_submit(data: JSONBody[Message], user: CurrentUser) -> Response[Any]:
    """A body that is not ``{"message": "..."}`` is Litestar's 400, in JSON like every
    error under ``/api/`` (app/web/errors.py)."""
    if problem := _problem(data.message):
        return Response({"error": "bad_request", "message": problem}, status_code=400)
    return Response({"user_id": user.user_id, "message": data.message}, status_code=200)
