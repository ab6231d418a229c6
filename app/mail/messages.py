"""Every message the app sends, built in one place: a ``text/plain`` part with the whole
link, an HTML alternative, ``Message-ID`` and ``Date``. Bodies are Jinja templates under
``templates/mail/`` (``<kind>.txt`` and ``<kind>.html``), the subject their first line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["Composed", "MailKind", "Messages"]


class MailKind:
    RESET = "reset"
    VERIFY = "verify"
    EMAIL_CHANGE = "email_change"
    EMAIL_CHANGE_NOTICE = "email_change_notice"
    PASSWORD_CHANGED = "password_changed"
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    RECOVERY_CODES_MADE = "recovery_codes_made"
    RECOVERY_CODE_USED = "recovery_code_used"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    NEW_SIGN_IN = "new_sign_in"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_DELETED = "account_deleted"

    # Mails that carry a link someone is waiting for: the sender takes them before
    # notices queued earlier, so a flood of notices never delays a reset.
    LINKS = frozenset({RESET, VERIFY, EMAIL_CHANGE})
    # Mails to an address the database must forget: the row goes once it is delivered
    # (or given up), not only its body.
    FORGOTTEN = frozenset({ACCOUNT_DELETED})


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str
    text: str
    html: str
    message_id: str


class Messages:
    def __init__(self, templates: Path, *, sender: str, base_url: str) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates / "mail"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self._sender = sender
        self._base_url = base_url.rstrip("/")
        self._domain = urlsplit(base_url).hostname or "localhost"

    def url(self, path: str) -> str:
        """An address for a mail: always the deployment's own origin (``APP_BASE_URL``),
        never one built from the request's ``Host`` or ``X-Forwarded-Host``."""
        return f"{self._base_url}{path}"

    def link(self, path: str, token: str) -> str:
        return f"{self.url(path)}?token={token}"

    def compose(self, kind: str, **context: Any) -> Composed:
        context = {"base_url": self._base_url, **context}
        subject, _, text = self._env.get_template(f"{kind}.txt").render(**context).partition("\n")
        html = self._env.get_template(f"{kind}.html").render(subject=subject, **context)
        return Composed(
            subject=subject.strip(),
            text=text.lstrip("\n"),
            html=html,
            message_id=make_msgid(domain=self._domain),
        )

    def message(self, to: str, composed: Composed, sent_at: int) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = composed.subject
        message["Date"] = format_datetime(datetime.fromtimestamp(sent_at, UTC))
        message["Message-ID"] = composed.message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(composed.text)
        message.add_alternative(composed.html, subtype="html")
        return message
