"""The dashboard: a sync view behind ``@login_required`` (Django runs it in a thread under
ASGI), rendering ``dashboard.html`` with Jinja (:mod:`bench.stacks.page`)."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from bench.stacks.page import Dashboard

_PAGE = Dashboard()


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    html = _PAGE.render(
        request.user.email,  # type: ignore[union-attr]
        request.path,
        partial(get_token, request),
        check_sent=request.GET.get("check") == "sent",
    )
    return HttpResponse(html)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
