"""With the deployment's test clock: every request reads the shared "now" first."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.db.shared_clock import SharedClock

__all__ = ["ClockSyncMiddleware"]


class ClockSyncMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/",)

    def __init__(self, clock: SharedClock) -> None:
        self._clock = clock

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        await self._clock.refresh()
        await next_app(scope, receive, send)
