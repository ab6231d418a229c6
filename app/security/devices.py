"""Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a
browser that has signed in to an account before carries a signed token naming the
account and the device. It is not a credential - it only lets that browser keep its own
allowance of sign-in attempts while strangers are guessing the account's password.

``v1.<user id>.<device id>.<mac>``, the MAC an HMAC-SHA256 with a key derived from the
newest token key; any key of the set verifies (keys rotate without resetting devices).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from joserfc.jwk import KeySet

__all__ = ["DEVICE_MAX_AGE", "DeviceCookies"]

DEVICE_MAX_AGE = 365 * 86400  # a year; re-issued at every sign-in
_LABEL = b"sessions-jwt/device-cookie/v1"
_MAX_LENGTH = 200


def _key(raw: bytes) -> bytes:
    return hmac.new(raw, _LABEL, hashlib.sha256).digest()


class DeviceCookies:
    def __init__(self, keys: KeySet) -> None:
        raws: list[bytes] = [key.raw_value for key in keys.keys]  # type: ignore[misc]
        self._keys = [_key(raw) for raw in reversed(raws)]  # newest first

    def _mac(self, key: bytes, body: str) -> str:
        digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def issue(self, user_id: int, device: str | None = None) -> str:
        """A cookie value for this browser and account (``device``: keep its id)."""
        body = f"v1.{user_id}.{device or secrets.token_urlsafe(12)}"
        return f"{body}.{self._mac(self._keys[0], body)}"

    def device(self, value: str | None, user_id: int) -> str | None:
        """The device id, if ``value`` is a cookie we issued for this account."""
        if not value or len(value) > _MAX_LENGTH or not value.isascii():
            return None
        body, _, mac = value.rpartition(".")
        parts = body.split(".")
        if len(parts) != 3 or parts[0] != "v1" or parts[1] != str(user_id):
            return None
        if not any(hmac.compare_digest(mac, self._mac(key, body)) for key in self._keys):
            return None
        return parts[2]
