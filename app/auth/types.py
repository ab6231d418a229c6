"""Values the auth services hand to the web layer (and to each other)."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.refresh import RejectReason
from app.security.tokens import TokenClaims

__all__ = [
    "ANONYMOUS",
    "AccountDisabled",
    "Authentication",
    "Confirmed",
    "EmailTaken",
    "IssuedToken",
    "PendingOver",
    "SecondFactorNeeded",
    "SignedIn",
    "Throttled",
    "WrongCode",
    "WrongCredentials",
]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token for the browser, and how long its cookie lives."""

    claims: TokenClaims
    token: str
    max_age: int  # seconds until the session's idle or absolute end, whichever is first


@dataclass(frozen=True, slots=True)
class Authentication:
    """Who a request is signed in as, if anyone, and what that means for its cookie."""

    claims: TokenClaims | None = None
    issued: IssuedToken | None = None  # a new token the browser must get
    rejected: RejectReason | None = None  # not signed in because ...: the cookie must go
    tier: int = 0  # 1 token alone, 2 re-minted, 3 session row read; 0 not signed in
    rotated: bool = False  # tier 3 moved the session onto a new secret


ANONYMOUS = Authentication()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A browser signed in: its token, and its device cookie (the account now knows it)."""

    issued: IssuedToken
    device: str


@dataclass(frozen=True, slots=True)
class Throttled:
    retry_after: int  # seconds


@dataclass(frozen=True, slots=True)
class WrongCredentials:
    """The email or the password was wrong (one answer for both, critique point 10)."""


@dataclass(frozen=True, slots=True)
class AccountDisabled:
    """The password was right, but an operator disabled the account (only the right
    password learns this: a wrong one is :class:`WrongCredentials` as for anyone)."""


@dataclass(frozen=True, slots=True)
class EmailTaken:
    pass


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A link to an address was used."""

    user_id: int
    issued: IssuedToken | None  # the confirming browser's new token (it was signed in)


@dataclass(frozen=True, slots=True)
class SecondFactorNeeded:
    """The password was right and the account asks for a second factor: the sealed
    pending sign-in for its cookie, and how long that cookie lives."""

    pending: str
    max_age: int


@dataclass(frozen=True, slots=True)
class WrongCode:
    """The code is not one the account accepts now (wrong, used, or too old)."""


@dataclass(frozen=True, slots=True)
class PendingOver:
    """The pending sign-in cannot go on: the person starts again at /login."""

    expired: bool  # it took too long (the login page says so); else tries ran out or
    # the password changed meanwhile
