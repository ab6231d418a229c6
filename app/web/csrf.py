"""Litestar's CSRF middleware, made safe against hostile input and kind to stale pages.

Safe: Litestar compares tokens with ``hmac.compare_digest`` (a ``TypeError`` for a
non-ASCII string), measures ``len()`` of whatever the form holds (an uploaded file, say)
and parses the form itself (a part that is not UTF-8 raises): all were 500s. Here a
token that is not an ASCII string is simply a wrong token, a body that is not text is a
400, and a refused multipart request closes its uploaded files.

Kind: a form loaded before signing in or out (in this tab or another) carries a token
that no longer matches. Instead of a bare refusal:

- a route marked ``opt=SHOWS_FORM_WHEN_EXPIRED`` answers ``403`` with its own page (for
  htmx, its form fragment) rendered afresh: a new token, and a sentence saying the page
  had expired and nothing was done (``page()`` in :mod:`app.web.htmx` sees the flag);
- a route marked ``opt={SHOWS_PAGE_WHEN_EXPIRED: "<route name>"}`` (a button on a page of
  its own, such as a revoke on the sessions page) answers the same way with that page;
- ``POST /logout`` (``opt=STALE_TOKEN_OK``) with a token this app issued, from a page
  the browser says is ours (``Origin``, or ``Sec-Fetch-Site: same-origin``), signs out
  anyway: ending your own session is never worth refusing. Without a token of ours, or
  without that evidence, it is refused like anything else.
"""

from __future__ import annotations

from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import UploadFile
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.security.cookies import Cookie
from app.web.forms import parsed_form
from app.web.origin import origin_of

__all__ = [
    "ANSWERS_A_STALE_FORM",
    "SHOWS_FORM_WHEN_EXPIRED",
    "SHOWS_PAGE_WHEN_EXPIRED",
    "SHOW_FORM",
    "STALE_TOKEN_OK",
    "SafeCSRFMiddleware",
]

_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
ANSWERS_A_STALE_FORM = "csrf_expired"  # scope state: this GET answers a refused POST
SHOWS_FORM_WHEN_EXPIRED = "shows_form_when_expired"  # route opt; a value: a field to keep
SHOWS_PAGE_WHEN_EXPIRED = "shows_page_when_expired"  # route opt: the name of the page
STALE_TOKEN_OK = "stale_token_ok"  # route opt
SHOW_FORM = {SHOWS_FORM_WHEN_EXPIRED: True}


class SafeCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app: ASGIApp, config: CSRFConfig, cookie: Cookie) -> None:
        super().__init__(app, config)
        self._cookie = cookie  # the CSRF cookie's one specification (app.security.cookies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opt = scope["route_handler"].opt
        if scope.get("method") in self.config.safe_methods or opt.get(
            self.config.exclude_from_csrf_key
        ):
            await super().__call__(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        form = await parsed_form(request) if request.content_type[0] in _FORMS else None
        token = request.headers.get(self.config.header_name) or (
            form.get("_csrf_token") if form is not None else None
        )
        cookie = request.cookies.get(self.config.cookie_name)
        if token is not None and cookie is not None and self._csrf_tokens_match(token, cookie):
            await super().__call__(scope, receive, send)
            return
        await _close_uploads(form)
        if opt.get(STALE_TOKEN_OK) and self._ours(token) and _same_origin_evidence(scope):
            await self.app(scope, receive, send)
            return
        if keep := opt.get(SHOWS_FORM_WHEN_EXPIRED):
            await _show_the_form_again(scope, receive, send, form, keep)
            return
        if name := opt.get(SHOWS_PAGE_WHEN_EXPIRED):
            path = scope["litestar_app"].route_reverse(name)
            await _show_the_form_again(scope, receive, send, None, None, path=path)
            return
        raise PermissionDeniedException("CSRF token verification failed")

    def _set_cookie_if_needed(self, message: Any, token: str) -> None:
        """The cookie a page hands out when the browser has none (every first page after
        signing in or out): one preformatted header, not a ``Cookie`` turned into a dict."""
        value = self._cookie.set(token).encode("latin-1")
        message["headers"] = [*message.get("headers", ()), (b"set-cookie", value)]

    def _ours(self, token: Any) -> bool:
        """Issued by this app (its HMAC holds), whichever cookie it was issued with."""
        return isinstance(token, str) and self._decode_csrf_token(token) is not None

    def _decode_csrf_token(self, token: Any) -> str | None:
        if not isinstance(token, str) or not token.isascii():
            return None
        return super()._decode_csrf_token(token)


def _same_origin_evidence(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    if headers.get(b"sec-fetch-site") == b"same-origin":
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False
    host = headers.get(b"host", b"").decode("latin-1").lower()
    own = origin_of(f"{scope.get('scheme', 'http')}://{host}")
    return own is not None and origin_of(origin.decode("latin-1")) == own


async def _show_the_form_again(
    scope: Scope, receive: Receive, send: Send, form: Any, keep: Any, *, path: str | None = None
) -> None:
    """Answer with the GET page of the same path, or of ``path`` (routed afresh, a new CSRF
    token), which says it had expired; only the field named by ``keep`` (if any) is
    carried over."""
    query = scope.get("query_string", b"") if path is None else b""
    if isinstance(keep, str) and form is not None and isinstance(form.get(keep), str):
        from urllib.parse import urlencode  # noqa: PLC0415

        query = urlencode({keep: form.get(keep)}).encode()
    dropped = {b"content-type", b"content-length", b"x-csrftoken"}
    again: Any = {
        **scope,
        "method": "GET",
        "query_string": query,
        **({} if path is None else {"path": path, "raw_path": path.encode()}),
        "headers": [(k, v) for k, v in scope["headers"] if k not in dropped],
        "state": {ANSWERS_A_STALE_FORM: True},
    }
    await scope["litestar_app"].asgi_handler(again, receive, send)


async def _close_uploads(form: Any) -> None:
    if form is None:
        return
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()
