"""What the operator who answers the support mail can do to an account (``python -m app
users show | sign-out | disable | enable | delete``), on the deployment's own database
and clock.

Every action goes through the paths the app itself uses: ending sessions is
:class:`~app.auth.session_store.SessionEnder` (revocations written with the change and
pushed to every worker and host once committed, as after a logout), deleting is
:meth:`~app.auth.deletion.AccountDeletion.erase`. Each command but ``delete`` writes an
activity-log entry naming the operator action (after a deletion there is no log to
write to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import structlog
from sqlalchemy import update
from sqlmodel import col

from app.auth import authenticators, email_tokens, repository
from app.auth.deletion import AccountDeletion
from app.auth.notices import Notices
from app.auth.session_store import SessionEnder
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import User
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["OPERATOR", "AccountFacts", "Operators"]

log = structlog.get_logger("app.operators")

# How an operator's action shows in the activity log ("from where").
OPERATOR = ClientInfo(user_agent="python -m app users", address="operator")
REASON_LENGTH = 255


@dataclass(frozen=True, slots=True)
class AccountFacts:
    id: int
    email: str
    verified: bool
    created_at: int
    methods: tuple[str, ...]  # how it can be signed in to
    live_sessions: int
    disabled_at: int | None
    disabled_reason: str | None


class _Locked(NamedTuple):
    user: User
    user_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Operators:
    db: Database
    clock: Clock
    ender: SessionEnder
    notices: Notices
    deletion: AccountDeletion

    async def show(self, email: str) -> AccountFacts | None:
        now = self.clock.now()
        async with self.db.write() as tx:
            found = await _lock(tx, email)
            if found is None:
                return None
            user, user_id = found
            sessions = await repository.list_live_sessions(tx.session, user_id, now)
            methods = await authenticators.methods_of(tx.session, user_id)
            await self._logged(tx, EventKind.OPERATOR_SHOW, user_id, now)
        return AccountFacts(
            id=user_id,
            email=user.email,
            verified=user.email_verified_at is not None,
            created_at=user.created_at,
            methods=tuple(method.describe() for method in methods),
            live_sessions=len(sessions),
            disabled_at=user.disabled_at,
            disabled_reason=user.disabled_reason,
        )

    async def sign_out(self, email: str) -> int | None:
        """End every session of the account; how many ended (None: no such account)."""
        now = self.clock.now()
        async with self.db.write() as tx:
            found = await _lock(tx, email)
            if found is None:
                return None
            ended = await self._end_all(tx, found.user_id, now)
            await self._logged(tx, EventKind.OPERATOR_SIGN_OUT, found.user_id, now)
        log.info("operator_signed_out", user_id=found.user_id, sessions_ended=ended)
        return ended

    async def disable(self, email: str, reason: str) -> int | None:
        """Every session ends, every mailed link dies, no sign-in until enabled; the
        address is told. How many sessions ended (None: no such account)."""
        now = self.clock.now()
        reason = " ".join(reason.split())[:REASON_LENGTH]
        async with self.db.write() as tx:
            found = await _lock(tx, email)
            if found is None:
                return None
            user, user_id = found
            await tx.session.exec(
                update(User)
                .where(col(User.id) == user_id)
                .values(disabled_at=now, disabled_reason=reason or None)
            )
            await email_tokens.void_all(tx.session, user_id)
            ended = await self._end_all(tx, user_id, now)
            await self._logged(tx, EventKind.OPERATOR_DISABLE, user_id, now)
            await self.notices.account_disabled(tx, user, now, reason=reason)
        log.info("operator_disabled", user_id=user_id, sessions_ended=ended)
        return ended

    async def enable(self, email: str) -> bool:
        now = self.clock.now()
        async with self.db.write() as tx:
            found = await _lock(tx, email)
            if found is None:
                return False
            await tx.session.exec(
                update(User)
                .where(col(User.id) == found.user_id)
                .values(disabled_at=None, disabled_reason=None)
            )
            await self._logged(tx, EventKind.OPERATOR_ENABLE, found.user_id, now)
        log.info("operator_enabled", user_id=found.user_id)
        return True

    async def delete(self, email: str) -> int | None:
        """As the person's own deletion, without the password; the mail is sent. How many
        sessions ended (None: no such account)."""
        now = self.clock.now()
        async with self.db.write() as tx:
            found = await _lock(tx, email)
            if found is None:
                return None
            deleted = await self.deletion.erase(tx, found.user, OPERATOR, now)
        return deleted.sessions

    async def _end_all(self, tx: Tx, user_id: int, now: int) -> int:
        ended = await self.ender.end(
            tx, user_id=user_id, kind=EventKind.SESSION_REVOKED, now=now, client=OPERATOR
        )
        return len(ended)

    async def _logged(self, tx: Tx, kind: EventKind, user_id: int, now: int) -> None:
        await record_event(tx.session, kind, now, OPERATOR, user_id=user_id, session_id=None)


async def _lock(tx: Tx, email: str) -> _Locked | None:
    """The account of ``email``, locked until the transaction ends (None: no such account)."""
    user = await repository.find_user_by_email(tx.session, email)
    if user is None or user.id is None:
        return None
    locked = await repository.lock_unchanged(tx.session, user)
    if locked is None or locked.id is None:
        return None
    return _Locked(locked, locked.id)
