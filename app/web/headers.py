"""Security headers on every response (a ``before_send`` hook, so error pages get them too)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from app.config import Settings

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

# No inline script or style anywhere: htmx is configured (meta htmx-config) not to need them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, settings: Settings) -> None:
        self._headers = {
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=()",
        }
        if settings.cookie_secure:
            self._headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in self._headers.items():
            headers[name] = value
        if "server" in headers:
            del headers["server"]
