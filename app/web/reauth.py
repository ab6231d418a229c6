"""Re-authentication as a route option: ``opt=fresh_proof()`` on a page that shows a
secret, ``opt=fresh_proof("/account/totp")`` on a form's POST (naming the page that holds
the form). The guard :func:`require_fresh_proof`, set once on the guarded router, reads
the token's ``auth_time`` and the clock - no I/O - and without a proof younger than
``APP_REAUTH_TTL`` answers ``303`` to ``/reauth?next=<that page>`` (htmx:
``HX-Redirect``) before the handler runs: nothing changes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.htmx import HTMXRequest

from app.web.auth_state import auth_state
from app.web.guard import NotSignedInError
from app.web.htmx import redirect

__all__ = [
    "REAUTH",
    "ReauthRequiredError",
    "fresh_proof",
    "reauth_required_handler",
    "require_fresh_proof",
]

REAUTH = "reauth"  # route opt: True (this page) or the path of the page holding the form


def fresh_proof(form_page: str | None = None) -> dict[str, Any]:
    return {REAUTH: form_page or True}


class ReauthRequiredError(NotAuthorizedException):
    def __init__(self, next_path: str) -> None:
        super().__init__("a fresh proof is needed")
        self.next_path = next_path


def require_fresh_proof(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    wanted = handler.opt.get(REAUTH)
    if not wanted:
        return
    claims = auth_state(connection).claims
    if claims is None:
        raise NotSignedInError()
    if connection.app.state.core.reauth.fresh(claims):
        return
    if isinstance(wanted, str):
        raise ReauthRequiredError(wanted)
    query = connection.scope.get("query_string", b"").decode("latin-1")
    raise ReauthRequiredError(connection.url.path + (f"?{query}" if query else ""))


def reauth_required_handler(
    request: Request[Any, Any, Any], exc: ReauthRequiredError
) -> Response[Any]:
    target = "/reauth?next=" + quote(exc.next_path, safe="")
    response = redirect(HTMXRequest(request.scope), target)
    response.headers["Cache-Control"] = "no-store"
    return response
