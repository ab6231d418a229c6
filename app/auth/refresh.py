"""The refresh decision: one pure function of (token claims, session row, now, policy).

Nothing here reads a clock, a database or a cookie; :mod:`app.auth.authenticate`
carries the outcome out. Every rule of the strategy lives here, and every time
boundary is defined once: a moment is *inside* a window while ``now < end``.

:func:`decide` is called once without the session row; when it answers
:class:`ReadSession` the caller reads the row (by the session's public id, which the
token carries) and calls it again with what it found::

    revoked (the denylist mirror says so)          -> Reject(SESSION_REVOKED)
    now <  exp, mirror current
        now <  aex                                 -> Serve(tier 1)    token alone, no DB
        aex <= now                                 -> Renew(tier 2)    new aex, same exp, no DB
    otherwise (exp <= now, or the mirror is stale)  -> ReadSession, then with the row:
        no row, or another user's                  -> Reject(SESSION_MISSING)
        now >= absolute end or idle end            -> Reject(SESSION_EXPIRED), row deleted
        (expiry beats every secret rule below)
        the token's secret is the row's current one
            now < exp (mirror stale: the row vouches) -> Serve / Renew (tier 3)
            exp <= now                              -> Rotate: the successor, if the write wins
        it is the one rotated away last
            now <  rotated_at + grace, successor derivable -> Follow (onto that successor)
            now <  rotated_at + grace, not derivable  -> Reject(SESSION_MISSING), row kept
            now >= rotated_at + grace               -> RevokeFamily (a copy is in use)
        an older secret of the same session        -> RevokeFamily

Around :func:`decide`, the caller applies four rules that need no row and no time, all
answered with the values defined here (so this module holds every outcome a request
can have):

    no auth cookie                                 -> not signed in, nothing to delete
    several auth cookies (one was planted)         -> Reject(SEVERAL_COOKIES), every copy
                                                      deleted (the guard)
    a cookie that does not decrypt to our claims   -> Reject(INVALID_TOKEN) (the
                                                      authenticator)
    Rotate lost twice (the row moved again while   -> Reject(SESSION_MISSING): never a third
    this request looked)                              read
    RevokeFamily, once carried out                 -> the browser sees Reject(SESSION_REVOKED)

Whenever a token is minted from the row (Rotate, Follow), the account's address and its
verified flag are taken from the row (``_refreshed``): a token minted at tier 3 carries
the account as it is now, not as it was at sign-in. Every other claim - who, when the
session began, how and when the person proved who they are (``auth_time``, ``amr``) -
is copied as it is.

The successor of a secret is derived from it with a server key
(:class:`app.security.rotation.SecretDeriver`), so any process, on any host, that
finds a row already rotated from the presented secret mints the same successor as the
process that rotated it - even if that process died right after its commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import Enum, StrEnum

from app.auth.lifetimes import Policy, renewed, rotated, session_expiry
from app.security.tokens import TokenClaims

__all__ = [
    "Follow",
    "Lookup",
    "Outcome",
    "ReadSession",
    "Reject",
    "RejectReason",
    "Renew",
    "RevokeFamily",
    "Rotate",
    "SecretAge",
    "Serve",
    "SessionRow",
    "decide",
    "hash_secret",
    "secret_age",
]


def hash_secret(secret: str) -> str:
    """What the sessions table stores instead of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionRow:
    """What the decision needs of a session row."""

    user_id: int
    secret_hash: str
    previous_secret_hash: str | None
    rotated_at: int
    expires_at: int  # idle end
    absolute_expires_at: int
    email: str | None = None  # the account's, as the caller read it (None: not read)
    email_verified: bool | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the caller found: the row (None: there is none) and the presented secret's
    successor (derived with the server key)."""

    row: SessionRow | None
    successor: str


class SecretAge(Enum):
    CURRENT = "current"
    PREVIOUS = "previous"  # the one rotated away last
    OLDER = "older"  # rotated away before that: only a copy can still hold it


class RejectReason(StrEnum):
    INVALID_TOKEN = "invalid_token"
    SESSION_MISSING = "session_missing"
    SESSION_EXPIRED = "session_expired"
    SESSION_REVOKED = "session_revoked"
    SEVERAL_COOKIES = "several_cookies"  # more than one auth cookie: one was planted

    @property
    def notice(self) -> str | None:
        """What the login page tells the person afterwards (None: nothing)."""
        return _NOTICES.get(self)


_NOTICES = {
    RejectReason.SESSION_EXPIRED: "expired",
    RejectReason.SESSION_MISSING: "ended",
    RejectReason.SESSION_REVOKED: "ended",
}


@dataclass(frozen=True, slots=True)
class Serve:
    """Signed in with the token as it is."""

    tier: int  # 1: the token alone; 3: the session row was read


@dataclass(frozen=True, slots=True)
class Renew:
    """Signed in; the browser gets ``claims`` (a new access window, the same expiry)."""

    claims: TokenClaims
    tier: int  # 2: no database; 3: the session row was read


@dataclass(frozen=True, slots=True)
class ReadSession:
    """Read the session row (by the token's ``sid``) and decide again."""


@dataclass(frozen=True, slots=True)
class Rotate:
    """Replace the row's secret by the successor - only if it is still the presented one
    (a conditional write); if another request won, read the row and decide again."""

    claims: TokenClaims  # the successor's token
    expires_at: int  # the session's new idle end


@dataclass(frozen=True, slots=True)
class Follow:
    """A concurrent request rotated this secret moments ago: move onto its successor."""

    claims: TokenClaims


@dataclass(frozen=True, slots=True)
class RevokeFamily:
    """A secret rotated away long ago came back: two parties hold the session. End it."""


@dataclass(frozen=True, slots=True)
class Reject:
    reason: RejectReason
    delete_row: bool = False


Outcome = Serve | Renew | ReadSession | Rotate | Follow | RevokeFamily | Reject


def decide(
    claims: TokenClaims,
    now: int,
    policy: Policy,
    *,
    revoked: bool,
    mirror_current: bool = True,
    lookup: Lookup | None = None,
) -> Outcome:
    """The whole guard, as a table (see the module docstring)."""
    if revoked:
        return Reject(RejectReason.SESSION_REVOKED)
    live = now < claims.expires_at
    if live and mirror_current:
        return _inside_the_token(claims, now, policy, tier=None)
    if lookup is None:
        return ReadSession()
    row = lookup.row
    if row is None or row.user_id != claims.user_id:
        return Reject(RejectReason.SESSION_MISSING)
    if now >= row.absolute_expires_at or now >= row.expires_at:
        return Reject(RejectReason.SESSION_EXPIRED, delete_row=True)
    fresh = _refreshed(claims, row)  # a new token carries the account as it is now
    match secret_age(claims.secret, row):
        case SecretAge.CURRENT if live:
            return _inside_the_token(claims, now, policy, tier=3)
        case SecretAge.CURRENT:
            expires_at = session_expiry(now, row.absolute_expires_at, policy)
            successor = rotated(fresh, lookup.successor, expires_at, now, policy)
            return Rotate(successor, expires_at)
        case SecretAge.PREVIOUS if now < row.rotated_at + policy.rotation_grace:
            if hash_secret(lookup.successor) != row.secret_hash:
                return Reject(RejectReason.SESSION_MISSING)  # the key changed since
            # Minted as of the rotation: the very token the winner minted, to the byte.
            return Follow(rotated(fresh, lookup.successor, row.expires_at, row.rotated_at, policy))
        case SecretAge.PREVIOUS | SecretAge.OLDER:
            return RevokeFamily()


def _refreshed(claims: TokenClaims, row: SessionRow) -> TokenClaims:
    """The claims with the account as the row says it is now (address, verified)."""
    return replace(
        claims,
        email=row.email if row.email is not None else claims.email,
        email_verified=(
            row.email_verified if row.email_verified is not None else claims.email_verified
        ),
    )


def _inside_the_token(
    claims: TokenClaims, now: int, policy: Policy, *, tier: int | None
) -> Serve | Renew:
    if now < claims.access_until:
        return Serve(tier or 1)
    return Renew(renewed(claims, now, policy), tier or 2)


def secret_age(secret: str, row: SessionRow) -> SecretAge:
    presented = hash_secret(secret)
    if presented == row.secret_hash:
        return SecretAge.CURRENT
    if presented == row.previous_secret_hash:
        return SecretAge.PREVIOUS
    return SecretAge.OLDER
