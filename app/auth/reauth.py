"""Re-authentication ("sudo mode"): before anyone changes how an account signs in, the
person proves again who they are, unless they did so within ``APP_REAUTH_TTL``.

The last proof is the token's ``auth_time`` (a sign-in, or the re-authentication form),
so :func:`is_fresh` - a pure function of it, now and the TTL - decides without any I/O.
:meth:`Reauthentication.confirm` is the form's password check (counted per session like
every signed-in password form, never against signing in); a right password moves the
session's ``auth_time`` to now and hands back a token that says so.

Proved by ``tests/unit/test_reauth.py`` and ``tests/integration/test_reauth.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import update
from sqlmodel import col

from app.auth.authenticate import TokenIssuer
from app.auth.confirmation import PasswordConfirmation
from app.auth.passkeys import PasskeyRefused, Passkeys, Purpose
from app.auth.types import IssuedToken, Throttled, WrongCredentials
from app.clock import Clock
from app.db.database import Database
from app.db.models import Session
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["Reauthentication", "is_fresh"]


def is_fresh(auth_time: int, now: int, ttl: int) -> bool:
    """Whether a proof made at ``auth_time`` is no older than ``ttl`` at ``now``."""
    return now - auth_time <= ttl


@dataclass(frozen=True, slots=True, kw_only=True)
class Reauthentication:
    db: Database
    clock: Clock
    confirmation: PasswordConfirmation
    issuer: TokenIssuer
    passkeys: Passkeys
    ttl: int  # APP_REAUTH_TTL

    def fresh(self, claims: TokenClaims) -> bool:
        return is_fresh(claims.auth_time, self.clock.now(), self.ttl)

    async def confirm(
        self, claims: TokenClaims, password: str, client: ClientInfo
    ) -> IssuedToken | Throttled | WrongCredentials:
        """The right password: the session's proof is now, and its new token."""
        now = self.clock.now()
        checked = await self.confirmation.confirm(claims, password, now)
        if isinstance(checked, Throttled | WrongCredentials):
            return checked
        return await self._proved_now(claims, client, now)

    async def confirm_passkey(
        self, claims: TokenClaims, raw: object, client: ClientInfo
    ) -> IssuedToken | PasskeyRefused:
        """One of the account's own passkeys, user verified: the proof is now."""
        proved = await self.passkeys.prove(raw, Purpose.REAUTH, user_id=claims.user_id)
        if isinstance(proved, PasskeyRefused):
            return proved
        outcome = await self._proved_now(claims, client, self.clock.now())
        return outcome if isinstance(outcome, IssuedToken) else PasskeyRefused("session ended")

    async def _proved_now(
        self, claims: TokenClaims, client: ClientInfo, now: int
    ) -> IssuedToken | WrongCredentials:
        async with self.db.write() as tx:
            moved = await tx.session.exec(
                update(Session)
                .where(col(Session.public_id) == claims.session_id)
                .values(auth_time=now)
            )
            if moved.rowcount != 1:  # the session ended meanwhile
                return WrongCredentials()
            await record_event(
                tx.session,
                EventKind.REAUTHENTICATED,
                now,
                client,
                user_id=claims.user_id,
                session_id=claims.session_id,
            )
        return self.issuer.issue(replace(claims, auth_time=now), now)
