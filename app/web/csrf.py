"""Litestar's CSRF middleware, made safe against hostile tokens.

Litestar compares tokens with ``hmac.compare_digest``, which raises ``TypeError`` for a
non-ASCII string, and measures ``len()`` of whatever the form holds (an uploaded file,
say): both were 500s. Here any token that is not an ASCII string is simply a wrong
token (403), and a refused multipart request closes its uploaded files.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

__all__ = ["SafeCSRFMiddleware"]


class SafeCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except PermissionDeniedException:
            await _close_uploads(scope, receive)
            raise

    def _decode_csrf_token(self, token: Any) -> str | None:
        if not isinstance(token, str) or not token.isascii():
            return None
        return super()._decode_csrf_token(token)


async def _close_uploads(scope: Scope, receive: Receive) -> None:
    request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    if request.content_type[0] != "multipart/form-data":
        return
    form = await request.form()  # already parsed: cached on the connection
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()
