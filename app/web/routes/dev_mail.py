"""``/_dev/mail``: the mail the app would have sent, for trying every flow without a mail
server (``APP_DEV_MAILBOX=1``, which ``make run`` sets). With no ``APP_SMTP_URL`` it shows
each message whole, links clickable; with one, only who, what, when and how delivery
went. Never mounted unless the setting asks for it."""

from __future__ import annotations

import re
from typing import Any

from litestar import Response
from litestar.plugins.htmx import HTMXRequest
from markupsafe import Markup, escape

from app.web.deps import OutboxDep
from app.web.guard import NO_AUTH
from app.web.htmx import page
from app.web.routes import view

__all__ = ["dev_mailbox", "linked"]

_URL = re.compile(r"https?://[^\s<>\"']+")


def linked(text: str) -> Markup:
    """The text, escaped, with its links made clickable."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped))  # noqa: S704


@view("/_dev/mail", name="dev_mailbox", opt={**NO_AUTH, "exclude_from_csrf": True})
async def dev_mailbox(request: HTMXRequest, outbox: OutboxDep) -> Response[Any]:
    mails = await outbox.recent()
    context = {
        "claims": None,
        "mails": mails,
        "whole": not outbox.delivers,
        "linked": linked,
    }
    return page(request, "dev_mail.html", context, headers={"Cache-Control": "no-store"})
