"""The refresh decision: pure functions of (token claims, session row, now, policy).

Nothing here reads a clock, a database or a cookie; the guard carries out the
outcome. Every time boundary of the strategy is defined here, once, and a
moment is *inside* a window while ``now < end``:

    tier 1  now <  access_until                -> Serve   (token alone, no DB)
    tier 2  access_until <= now < expires_at   -> Renew   (new access window, same expiry, no DB)
    tier 3  expires_at <= now                  -> CheckSession, then with the row found by
            the token's secret (as the current secret, or as the one just rotated away):
              no row / another user's row       -> Reject(SESSION_MISSING)
              now >= absolute_expires_at        -> Reject(SESSION_EXPIRED), row deleted
              now >= expires_at (idle)          -> Reject(SESSION_EXPIRED), row deleted
              current secret                    -> Rotate (new secret, new token)
              previous secret, now <  rotated_at + grace  -> Follow (onto the one successor)
              previous secret, now >= rotated_at + grace  -> RevokeFamily (a copy is in use)
              an older secret of the same session         -> RevokeFamily
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from app.security.tokens import TokenClaims

__all__ = [
    "CheckSession",
    "Follow",
    "Policy",
    "Reject",
    "RejectReason",
    "Renew",
    "RevokeFamily",
    "Rotate",
    "Serve",
    "SessionState",
    "decide_session",
    "decide_token",
    "mint",
    "renewed",
    "rotated",
    "session_expiry",
]


@dataclass(frozen=True, slots=True)
class Policy:
    access_ttl: int
    token_ttl: int
    session_ttl: int  # idle lifetime, renewed by each rotation
    session_max_age: int  # absolute lifetime from login, never renewed
    rotation_grace: int = 30  # how long a just-rotated secret still leads to its successor


@dataclass(frozen=True, slots=True)
class SessionState:
    """What the decision needs of a session row."""

    user_id: int
    created_at: int
    rotated_at: int
    expires_at: int
    absolute_expires_at: int
    matched_previous: bool = False  # the token's secret is the one rotated away last
    stale: bool = False  # found by the session's id only: the secret is older still


class RejectReason(StrEnum):
    INVALID_TOKEN = "invalid_token"
    SESSION_MISSING = "session_missing"
    SESSION_EXPIRED = "session_expired"
    SESSION_REVOKED = "session_revoked"


@dataclass(frozen=True, slots=True)
class Serve:
    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class Renew:
    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class CheckSession:
    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class Rotate:
    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class Follow:
    """The secret was rotated moments ago by a concurrent request: use its successor."""

    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class RevokeFamily:
    """A secret rotated away long ago came back: two parties hold the session."""

    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class Reject:
    reason: RejectReason
    delete_row: bool = False


def decide_token(claims: TokenClaims, now: int) -> Serve | Renew | CheckSession:
    if now < claims.access_until:
        return Serve(claims)
    if now < claims.expires_at:
        return Renew(claims)
    return CheckSession(claims)


def decide_session(
    claims: TokenClaims, row: SessionState | None, now: int, policy: Policy
) -> Rotate | Follow | RevokeFamily | Reject:
    if row is None or row.user_id != claims.user_id:
        return Reject(RejectReason.SESSION_MISSING)
    if now >= row.absolute_expires_at or now >= row.expires_at:
        return Reject(RejectReason.SESSION_EXPIRED, delete_row=True)
    if row.stale:
        return RevokeFamily(claims)
    if not row.matched_previous:
        return Rotate(claims)
    if now < row.rotated_at + policy.rotation_grace:
        return Follow(claims)
    return RevokeFamily(claims)


def session_expiry(now: int, absolute_expires_at: int, policy: Policy) -> int:
    """The idle expiry a session gets at login or rotation, never past its absolute end."""
    return min(now + policy.session_ttl, absolute_expires_at)


def mint(
    *,
    user_id: int,
    email: str,
    session_id: str,
    secret: str,
    session_started_at: int,
    session_expires_at: int,
    now: int,
    policy: Policy,
) -> TokenClaims:
    """A fresh token: hard expiry after TOKEN_TTL, never past the session's own end."""
    expires_at = min(now + policy.token_ttl, session_expires_at)
    return TokenClaims(
        user_id=user_id,
        email=email,
        session_id=session_id,
        secret=secret,
        session_started_at=session_started_at,
        issued_at=now,
        access_until=min(now + policy.access_ttl, expires_at),
        expires_at=expires_at,
        session_expires_at=session_expires_at,
    )


def renewed(claims: TokenClaims, now: int, policy: Policy) -> TokenClaims:
    """Tier 2: a new access window; the hard expiry stays where it was (critique point 2)."""
    return replace(
        claims,
        issued_at=now,
        access_until=min(now + policy.access_ttl, claims.expires_at),
    )


def rotated(
    claims: TokenClaims, *, secret: str, session_expires_at: int, now: int, policy: Policy
) -> TokenClaims:
    """Tier 3: a token for the rotated secret, with a fresh lifetime."""
    return mint(
        user_id=claims.user_id,
        email=claims.email,
        session_id=claims.session_id,
        secret=secret,
        session_started_at=claims.session_started_at,
        session_expires_at=session_expires_at,
        now=now,
        policy=policy,
    )
