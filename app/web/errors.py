"""Error pages: a plain sentence and the right status, never a stack trace."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from app.db.database import DatabaseUnavailableError, is_unavailable, unavailable_cause
from app.security.passwords import HashQueueFullError
from app.shared.throttle import CounterUnavailableError
from app.web.guard import API_PREFIX, NotSignedInError, not_signed_in_handler
from app.web.plain import PlainClientError

__all__ = ["exception_handlers"]

log = structlog.get_logger("app.web")

MESSAGES = {
    400: "The request could not be understood. Please go back and try again.",
    403: "This request was refused: it did not come from one of this site's own pages, so "
    "nothing was done.",
    404: "There is no page at this address.",
    405: "This page cannot be used that way. Please go back and use its buttons and links.",
    413: "The request is too large.",
    429: "Too many attempts. Please wait a moment and try again.",
    500: "Something went wrong on our side. Please try again.",
    503: "We cannot take this request right now. Please try again in a few seconds.",
}
TITLES = {
    400: "Bad request",
    403: "Request refused",
    404: "Not found",
    405: "Not here",
    413: "Request too large",
    429: "Too many attempts",
    500: "Server error",
    503: "Busy",
}
# The JSON API's error words (``{"error": ...}``), by status.
API_ERRORS = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}
RETRY_SOON = "5"  # seconds, for a 503
CSRF_REFUSED = "CSRF token verification failed"  # Litestar's words: a stale or forged token
STALE_FORM = "The form you used was loaded before you signed in or out, so it no longer works."


def _error_page(
    status: int,
    headers: dict[str, str] | None = None,
    *,
    message: str | None = None,
    expired: bool = False,
) -> Response[Any]:
    message = message or MESSAGES.get(status, MESSAGES[400] if status < 500 else MESSAGES[500])
    title = TITLES.get(status, "Error")
    return Template(
        "error.html",
        context={"status": status, "title": title, "message": message, "expired": expired},
        status_code=status,
        headers={**(headers or {}), "Cache-Control": "no-store"},
    )


def _api_error(status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    """An error under ``/api/``: JSON, never an HTML page."""
    error = API_ERRORS.get(status, API_ERRORS[400] if status < 500 else API_ERRORS[500])
    return Response(
        {"error": error},
        status_code=status,
        headers={**(headers or {}), "Cache-Control": "no-store"},
        media_type="application/json",
    )


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(API_PREFIX)


CLIENT_GONE = "client disconnected prematurely"  # Litestar's words for a hung-up body


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.detail == CLIENT_GONE:  # nobody is listening: one line, no traceback
        log.info("client_disconnected", path=request.url.path)
        return _error_page(400)
    if exc.status_code >= 500:
        return _unexpected(request, exc)
    headers = {
        k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after"}
    }
    if _is_api(request):
        return _api_error(exc.status_code, headers)
    if exc.status_code == 405 and request.url.path == "/logout":  # a GET must not sign out
        return Template(
            "sign_out.html",
            context={"claims": None},
            status_code=405,
            headers={**headers, "Cache-Control": "no-store"},
        )
    if exc.status_code == 403 and exc.detail == CSRF_REFUSED:  # a page open too long
        return _error_page(403, headers, message=STALE_FORM, expired=True)
    message = exc.detail if isinstance(exc, PlainClientError) else None
    return _error_page(exc.status_code, headers, message=message)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable(exc):  # a database error raised outside app.db.database's wrapping
        return _database_unavailable(request, exc)
    log.error("unhandled_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    return _api_error(500) if _is_api(request) else _error_page(500)


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A part the request needs (the throttle store) cannot be reached: refuse, do not
    guess - an attempt that cannot be counted is not allowed."""
    log.warning("unavailable", path=request.url.path, error=type(exc).__name__)
    if _is_api(request):
        return _api_error(503, {"Retry-After": RETRY_SOON})
    return _error_page(503, {"Retry-After": RETRY_SOON})


def _database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database is down, frozen, out of connections or locked by another process:
    ``503`` at once (``APP_DB_TIMEOUT`` bounds every wait), one warning line, no traceback.
    The next request tries again: nothing here needs a restart to recover."""
    log.warning("database_unavailable", path=request.url.path, error=unavailable_cause(exc))
    headers = {"Retry-After": RETRY_SOON}
    if _is_api(request):
        return _api_error(503, headers)
    return _error_page(503, headers)


exception_handlers: ExceptionHandlersMap = {
    NotSignedInError: not_signed_in_handler,
    CounterUnavailableError: _unavailable,
    HashQueueFullError: _unavailable,
    DatabaseUnavailableError: _database_unavailable,
    HTTPException: _http_exception,
    Exception: _unexpected,
}
