"""Page or fragment: one template per page, its swappable regions as named blocks."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Response
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from app.web.csrf import ANSWERS_A_STALE_FORM

__all__ = ["is_htmx", "page", "redirect"]


def is_htmx(request: HTMXRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def page(
    request: HTMXRequest,
    template_name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """The whole page normally; only ``block`` for htmx. The URL serves both: ``Vary``.

    A page shown in answer to a POST the CSRF check refused (a stale form) says so, with
    ``403``: :mod:`app.web.csrf`."""
    if request.scope.get("state", {}).get(ANSWERS_A_STALE_FORM):
        context = {**context, "expired": True}
        status_code = 403
    headers = dict(headers or {})
    vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    headers["Vary"] = ", ".join([*vary, "HX-Request"] if "HX-Request" not in vary else vary)
    if block is not None and is_htmx(request):
        return HTMXBlockTemplate(
            template_name=template_name,
            block_name=block,
            context=context,
            status_code=status_code,
            headers=headers,
        )
    return Template(template_name, context=context, status_code=status_code, headers=headers)


def redirect(request: HTMXRequest, url: str) -> Response[str]:
    """303 for a browser; for htmx, ``HX-Redirect`` (htmx never sees a 3xx, the XHR follows it)."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": url}, media_type="text/plain")
    return Response("", status_code=303, headers={"Location": url}, media_type="text/plain")
