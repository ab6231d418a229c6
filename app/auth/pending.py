"""A sign-in between its password and its second factor: never a session, only a short-
lived, sealed cookie of its own (``app.security.cookies.AppCookies.pending``).

It names the account, a fingerprint of the password hash that was checked (a reset or a
change that commits meanwhile ends it), where to go afterwards (``next``), this browser's
device id for the account, when it began, and a random id under which its wrong codes
are counted in the shared throttle - so that replaying an older copy of the cookie buys
no new tries. Sealed (``app.security.sealing``): the browser can neither read nor forge
it, and every host can open it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from app.security.sealing import SealedValueError, Sealer

__all__ = ["PendingSignIn", "PendingSignIns", "password_fingerprint"]


def password_fingerprint(password_hash: str) -> str:
    """Enough of the checked hash to tell whether it is still the account's (not the hash)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    id: str
    user_id: int
    password: str  # password_fingerprint() of the hash the password was checked against
    started_at: int
    next: str  # a local path, or "" for the dashboard
    device: str | None  # this browser's device id for the account, if it had one

    @classmethod
    def begin(
        cls, *, user_id: int, password_hash: str, now: int, next: str, device: str | None
    ) -> PendingSignIn:
        return cls(
            id=secrets.token_urlsafe(16),
            user_id=user_id,
            password=password_fingerprint(password_hash),
            started_at=now,
            next=next,
            device=device,
        )

    def expired(self, now: int, ttl: int) -> bool:
        """Older than ``ttl`` (``APP_MFA_CHALLENGE_TTL``): the person starts again."""
        return now - self.started_at > ttl


class PendingSignIns:
    def __init__(self, sealer: Sealer, *, ttl: int) -> None:
        self._sealer = sealer
        self.ttl = ttl

    def seal(self, pending: PendingSignIn) -> str:
        return self._sealer.seal(json.dumps(asdict(pending), separators=(",", ":")).encode())

    def open(self, value: str | None) -> PendingSignIn | None:
        """The pending sign-in a cookie holds, or None for anything else."""
        if not value:
            return None
        try:
            data = json.loads(self._sealer.open(value))
            pending = PendingSignIn(**data)
        except (SealedValueError, ValueError, TypeError):
            return None
        if not isinstance(pending.user_id, int) or not isinstance(pending.started_at, int):
            return None
        return pending
