"""Delivering one message over SMTP (aiosmtplib), as ``APP_SMTP_URL`` says:

- ``smtp://host:port`` - plain;
- ``smtp+starttls://user:password@host:587`` - upgraded with STARTTLS;
- ``smtps://user:password@host:465`` - TLS from the first byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

__all__ = ["DeliveryError", "SmtpTarget", "parse_smtp_url"]

TIMEOUT = 15.0  # seconds for one delivery
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class DeliveryError(Exception):
    """The server could not be reached or refused the message; worth another try later."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool

    def __repr__(self) -> str:  # never the password
        return f"SmtpTarget({self.host}:{self.port}, tls={self.use_tls}, starttls={self.start_tls})"

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.start_tls,
                timeout=TIMEOUT,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise DeliveryError(type(error).__name__) from error


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(
            "SMTP_URL must be smtp://host:port, smtp+starttls://user:password@host:587 "
            "or smtps://user:password@host:465"
        )
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or _DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=scheme == "smtps",
        start_tls=scheme == "smtp+starttls",
    )
