"""What a signed-in user does to their own account: see and end sessions, change the
password. Every query is scoped to the signed-in user: another user's session is simply
not found."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from app.auth import email_tokens, repository
from app.auth.authenticate import TokenIssuer
from app.auth.confirmation import PasswordConfirmation
from app.auth.lifetimes import Policy
from app.auth.notices import Notices
from app.auth.session_store import SessionEnder, start_session
from app.auth.stages import Method
from app.auth.types import IssuedToken, Throttled, WrongCredentials
from app.clock import Clock
from app.db.database import Database
from app.db.models import AuthEvent, Session
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["AccountOverview", "AccountService"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True)
class AccountOverview:
    sessions: list[Session]
    events: list[AuthEvent]
    now: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountService:
    db: Database
    clock: Clock
    passwords: PasswordService
    ender: SessionEnder
    confirmation: PasswordConfirmation
    policy: Policy
    issuer: TokenIssuer
    notices: Notices

    async def overview(self, user: TokenClaims) -> AccountOverview:
        now = self.clock.now()
        async with self.db.read() as db:
            sessions = await repository.list_live_sessions(db, user.user_id, now)
            events = await repository.recent_events(db, user.user_id, limit=20)
        return AccountOverview(sessions=sessions, events=events, now=now)

    async def revoke(self, user: TokenClaims, public_id: str, client: ClientInfo) -> bool:
        """End one of the user's sessions at once. False: the user has no such session."""
        now = self.clock.now()
        async with self.db.write() as tx:
            ended = await self.ender.end(
                tx,
                user_id=user.user_id,
                only=[public_id],
                kind=EventKind.SESSION_REVOKED,
                now=now,
                client=client,
            )
        if ended:
            log.info("session_revoked", user_id=user.user_id, session=public_id)
        return bool(ended)

    async def revoke_others(self, user: TokenClaims, client: ClientInfo) -> int:
        now = self.clock.now()
        async with self.db.write() as tx:
            ended = await self.ender.end(
                tx,
                user_id=user.user_id,
                keep=user.session_id,
                kind=EventKind.SESSION_REVOKED,
                now=now,
                client=client,
            )
        return len(ended)

    async def change_password(
        self, user: TokenClaims, current: str, new: str, client: ClientInfo
    ) -> IssuedToken | Throttled | None:
        """Check the current password, store the new one: "sign out everywhere, sign in
        here". Every session ends (this one too: a copy of its cookie is refused at once),
        every link mailed for the account dies, and this browser gets a new session, all
        in one transaction. None: wrong current password (app.auth.confirmation)."""
        now = self.clock.now()
        account = await self.confirmation.confirm(user, current, now)
        if isinstance(account, Throttled):
            return account
        if isinstance(account, WrongCredentials):
            return None
        new_hash = await self.passwords.hash(new)
        async with self.db.write() as tx:
            if await repository.lock_unchanged(tx.session, account) is None:
                return None  # a reset or another change won meanwhile: this check is stale
            await repository.set_password_hash(tx.session, user.user_id, new_hash)
            await email_tokens.void_all(tx.session, user.user_id)
            ended = await self.ender.end(
                tx,
                user_id=user.user_id,
                token_session=user.session_id,
                kind=EventKind.SESSION_REVOKED,
                now=now,
                client=client,
            )
            # The current password was just proved: the new session's proof is now.
            claims = await start_session(
                tx, account, client, now, policy=self.policy, amr=(Method.PASSWORD.value,)
            )
            await record_event(
                tx.session,
                EventKind.PASSWORD_CHANGED,
                now,
                client,
                user_id=user.user_id,
                session_id=claims.session_id,
            )
            await self.notices.password_changed(tx, account, client, now, here_kept=True)
        log.info("password_changed", user_id=user.user_id, sessions_ended=len(ended))
        return self.issuer.issue(claims, now)
