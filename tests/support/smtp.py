"""A real SMTP server for the tests (aiosmtpd), on a free port of this machine: it keeps
every message it accepts, or refuses them all (``failing``) like a server that is down
for the count. Nothing is mocked: the app talks SMTP to it over a socket."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import free_port

__all__ = ["MailCatcher", "link_in"]

_LINK = re.compile(r"https?://\S+")


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self._catcher = catcher

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self._catcher.failing:
            self._catcher.refused += 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._catcher.lock:
            self._catcher.messages.append(message)
        return "250 Message accepted"


class MailCatcher:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.failing = False
        self.refused = 0
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(
        self,
        address: str,
        *,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[EmailMessage], bool] | None = None,
    ) -> list[EmailMessage]:
        """Poll (a bounded real time: delivery is asynchronous) until ``count`` messages to
        ``address`` (matching ``where``) have arrived; they, oldest first."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.to(address) if where is None or where(m)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    """The one link of a message's text part."""
    links = _LINK.findall(text_of(message))
    assert links, text_of(message)
    return str(links[0])
