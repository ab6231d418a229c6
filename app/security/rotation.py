"""Session secrets: random at sign-in, then each one derived from the one before.

``successor(secret) = base64url(HMAC-SHA256(K, secret))`` with ``K`` derived from the
newest token key. A rotation stores the successor's hash; any process that later finds
a row already rotated away from a presented secret (a request that lost the race, on any
worker or host) derives the very same successor, with no store shared between them.

Without ``K`` a secret says nothing of its successor, and secrets only ever travel
inside the encrypted token. ``K`` changes with the newest key (``keys rotate`` and a
restart); a request inside the rotation grace across that restart is "not signed in"
rather than followed, which the refresh decision handles.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from joserfc.jwk import KeySet

__all__ = ["SecretDeriver", "new_secret"]

_LABEL = b"sessions-jwt/session-secret-successor/v1"


def new_secret() -> str:
    """A session's first secret: 256 bits from the CSPRNG."""
    return secrets.token_urlsafe(32)


class SecretDeriver:
    def __init__(self, keys: KeySet) -> None:
        newest: bytes = keys.keys[-1].raw_value  # type: ignore[assignment]
        self._key = hmac.new(newest, _LABEL, hashlib.sha256).digest()

    def successor(self, secret: str) -> str:
        digest = hmac.new(self._key, secret.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
