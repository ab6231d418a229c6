"""Security headers on every response (a ``before_send`` hook, so error pages get them too).

They are constant, so they are encoded once and appended in one step (setting them one
by one through ``MutableScopeHeaders`` searched the list for each). A route may set its
own ``Referrer-Policy`` (the pages whose address holds a token say ``no-referrer``).
"""

from __future__ import annotations

from litestar.types import Message, Scope

from app.config import Settings

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

# No inline script or style anywhere: htmx is configured (meta htmx-config) not to need them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_REFERRER = b"referrer-policy"
_OURS = frozenset(
    {
        b"content-security-policy",
        b"x-content-type-options",
        b"x-frame-options",
        b"cross-origin-opener-policy",
        b"permissions-policy",
        b"strict-transport-security",
        b"server",
    }
)


class SecurityHeaders:
    def __init__(self, settings: Settings) -> None:
        headers = {
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=()",
        }
        if settings.cookie_secure:
            headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
        self._raw = [(name.encode(), value.encode()) for name, value in headers.items()]
        self._referrer = (_REFERRER, b"same-origin")

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        existing = message.get("headers") or []
        own_referrer = False
        kept = []
        for header in existing:
            name = header[0].lower()
            if name == _REFERRER:
                own_referrer = True
            elif name in _OURS:
                continue  # ours win (and no "server" header, whatever set one)
            kept.append(header)
        kept.extend(self._raw)
        if not own_referrer:
            kept.append(self._referrer)
        message["headers"] = kept
