"""The mail parts: messages, the outbox, the per-address limits and the notices."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.auth.notices import Notices
from app.clock import Clock
from app.config import Settings
from app.db.database import Database
from app.mail.limits import MailLimits
from app.mail.messages import Messages
from app.mail.outbox import Outbox
from app.mail.transport import parse_smtp_url
from app.shared.clients import describe_device
from app.shared.throttle import Counter

__all__ = ["TEMPLATES", "Mail", "mail_parts"]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True, slots=True)
class Mail:
    messages: Messages
    outbox: Outbox
    notices: Notices
    limits: MailLimits


def mail_parts(settings: Settings, db: Database, clock: Clock, counter: Counter) -> Mail:
    messages = Messages(TEMPLATES, sender=settings.mail_from, base_url=settings.base_url)
    smtp = (
        parse_smtp_url(settings.smtp_url.get_secret_value())
        if settings.smtp_url is not None
        else None
    )
    outbox = Outbox(db, clock, messages, smtp=smtp, poll=settings.outbox_poll)
    limits = MailLimits(
        counter, per_address=settings.mail_max_per_address, window=settings.mail_window
    )
    return Mail(
        messages=messages,
        outbox=outbox,
        notices=Notices(outbox=outbox, messages=messages, limits=limits, describe=describe_device),
        limits=limits,
    )
