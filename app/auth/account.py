"""What a signed-in user does to their own account: see and end sessions, change the password.

Every query is scoped to the signed-in user: another user's session is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import repository
from app.auth.events import EventKind
from app.auth.service import ClientInfo, Throttled, record_event
from app.auth.stores import Denylist
from app.auth.throttle import Throttle
from app.clock import Clock
from app.db.models import AuthEvent, Session, User
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims

__all__ = ["AccountOverview", "AccountService"]

log = structlog.get_logger("auth")


@dataclass(frozen=True, slots=True)
class AccountOverview:
    sessions: list[Session]
    events: list[AuthEvent]
    now: int


class AccountService:
    def __init__(
        self,
        *,
        db: async_sessionmaker[AsyncSession],
        clock: Clock,
        passwords: PasswordService,
        denylist: Denylist,
        throttle: Throttle,
    ) -> None:
        self._db = db
        self._clock = clock
        self._passwords = passwords
        self._denylist = denylist
        self._throttle = throttle

    async def overview(self, claims: TokenClaims) -> AccountOverview:
        now = self._clock.now()
        async with self._db() as db:
            sessions = await repository.list_live_sessions(db, claims.user_id, now)
            events = await repository.recent_events(db, claims.user_id, limit=20)
        return AccountOverview(sessions=sessions, events=events, now=now)

    async def revoke(self, claims: TokenClaims, public_id: str, client: ClientInfo) -> bool:
        """End one of the user's sessions at once. False: the user has no such session."""
        now = self._clock.now()
        async with self._db() as db, db.begin():
            row = await repository.find_session_by_public_id(
                db, user_id=claims.user_id, public_id=public_id
            )
            if row is None or row.id is None:
                return False
            await repository.delete_session(db, row.id)
            await record_event(
                db,
                EventKind.SESSION_REVOKED,
                now,
                client,
                user_id=claims.user_id,
                session_id=public_id,
            )
        await self._denylist.revoke(public_id, revoked_at=now, now=now)
        log.info("session_revoked", user_id=claims.user_id, session=public_id)
        return True

    async def revoke_others(self, claims: TokenClaims, client: ClientInfo) -> int:
        now = self._clock.now()
        async with self._db() as db, db.begin():
            revoked = await self._end_others(db, claims, now, client)
        await self._deny(revoked, now)
        return len(revoked)

    async def change_password(
        self, claims: TokenClaims, current: str, new: str, client: ClientInfo
    ) -> bool | Throttled:
        """Check the current password, store the new one, end every other session at once.
        Wrong guesses count against the account like failed sign-ins."""
        now = self._clock.now()
        if wait := await self._throttle.attempt(claims.email, now):
            return Throttled(wait)
        async with self._db() as db:
            user = await db.get(User, claims.user_id)
        ok, _ = await self._passwords.verify(user.password_hash if user else None, current)
        if user is None or not ok:
            return False
        await self._throttle.reset(claims.email)
        new_hash = await self._passwords.hash(new)
        now = self._clock.now()
        async with self._db() as db, db.begin():
            await repository.set_password_hash(db, claims.user_id, new_hash)
            revoked = await self._end_others(db, claims, now, client)
            await record_event(
                db,
                EventKind.PASSWORD_CHANGED,
                now,
                client,
                user_id=claims.user_id,
                session_id=claims.session_id,
            )
        await self._deny(revoked, now)
        log.info("password_changed", user_id=claims.user_id, sessions_ended=len(revoked))
        return True

    async def _end_others(
        self, db: AsyncSession, claims: TokenClaims, now: int, client: ClientInfo
    ) -> list[str]:
        revoked = await repository.delete_sessions_except(
            db, user_id=claims.user_id, keep=claims.session_id
        )
        for public_id in revoked:
            await record_event(
                db,
                EventKind.SESSION_REVOKED,
                now,
                client,
                user_id=claims.user_id,
                session_id=public_id,
            )
        return revoked

    async def _deny(self, public_ids: list[str], now: int) -> None:
        for public_id in public_ids:
            await self._denylist.revoke(public_id, revoked_at=now, now=now)
