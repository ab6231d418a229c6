"""With the deployment's test clock: every request reads the shared "now" first, and its
response says which process answered (``X-Test-Process``), so a test of N workers can
tell that each of them holds a promise. Neither exists without ``APP_TEST_CLOCK``."""

from __future__ import annotations

import os

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.db.shared_clock import SharedClock

__all__ = ["ClockSyncMiddleware"]


class ClockSyncMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, clock: SharedClock) -> None:
        self._clock = clock
        self._process = str(os.getpid()).encode()

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await self._clock.refresh()

        async def send_with_process(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-test-process", self._process),
                ]
            await send(message)

        await next_app(scope, receive, send_with_process)
