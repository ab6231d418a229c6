"""Lifetimes: when a token's access window, a token and a session end, as they are minted.

Pure arithmetic on integer UTC seconds; :mod:`app.auth.refresh` decides which of these
applies to a request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.security.tokens import TokenClaims

__all__ = ["Policy", "cookie_max_age", "mint", "renewed", "rotated", "session_expiry"]


@dataclass(frozen=True, slots=True)
class Policy:
    access_ttl: int
    token_ttl: int
    session_ttl: int  # idle lifetime, renewed by each rotation
    session_max_age: int  # absolute lifetime from login, never renewed
    rotation_grace: int = 30  # how long a just-rotated secret still leads to its successor


def cookie_max_age(claims: TokenClaims, now: int) -> int:
    """The auth cookie lives as long as the session (critique point 1), not the token."""
    return max(claims.session_expires_at - now, 0)


def session_expiry(now: int, absolute_expires_at: int, policy: Policy) -> int:
    """The idle expiry a session gets at login or rotation, never past its absolute end."""
    return min(now + policy.session_ttl, absolute_expires_at)


def _token_window(now: int, session_expires_at: int, policy: Policy) -> tuple[int, int]:
    """(end of the access window, hard expiry) of a token minted now."""
    expires_at = min(now + policy.token_ttl, session_expires_at)
    return min(now + policy.access_ttl, expires_at), expires_at


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
    auth_time: int,
    amr: tuple[str, ...],
    email_verified: bool = False,
) -> TokenClaims:
    """A fresh token: hard expiry after TOKEN_TTL, never past the session's own end."""
    access_until, expires_at = _token_window(now, session_expires_at, policy)
    return TokenClaims(
        user_id=user_id,
        email=email,
        session_id=session_id,
        secret=secret,
        session_started_at=session_started_at,
        issued_at=now,
        access_until=access_until,
        expires_at=expires_at,
        session_expires_at=session_expires_at,
        auth_time=auth_time,
        amr=amr,
        email_verified=email_verified,
    )


def renewed(claims: TokenClaims, now: int, policy: Policy) -> TokenClaims:
    """Tier 2: a new access window; the hard expiry stays where it was (critique point 2)."""
    return replace(
        claims,
        issued_at=now,
        access_until=min(now + policy.access_ttl, claims.expires_at),
    )


def rotated(
    claims: TokenClaims, secret: str, session_expires_at: int, now: int, policy: Policy
) -> TokenClaims:
    """Tier 3: a token for the rotated secret, with a fresh lifetime. Every other claim
    (who, how they proved it) is carried over as it is: a claim added later cannot be
    dropped here."""
    access_until, expires_at = _token_window(now, session_expires_at, policy)
    return replace(
        claims,
        secret=secret,
        issued_at=now,
        access_until=access_until,
        expires_at=expires_at,
        session_expires_at=session_expires_at,
    )
