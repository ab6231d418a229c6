"""Deleting an account (GDPR art. 17): by its owner, with the password and the address
typed again, or by an operator (``python -m app users delete``).

One transaction does it all: every session ends on every worker (the one "end these
sessions" path: rows deleted, revocations written, pushed once committed), then the
account and everything tied to it goes - its mailed links (and what the "not me" links
are about), its activity log, its mail, sent or not, and every throttle counter whose key
holds the address. The one row that stays is the mail that says so (no account, no
counter); the mail sender deletes that row too once it is delivered
(``MailKind.FORGOTTEN``), and from then on the database holds the address nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import ColumnElement, delete, or_
from sqlmodel import col, select

from app.auth import repository
from app.auth.confirmation import PasswordConfirmation
from app.auth.notices import Notices
from app.auth.session_store import SessionEnder
from app.auth.types import Throttled, WrongCredentials
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import AuthEvent, EmailToken, OutboxMail, ThrottleBucket, User
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind
from app.shared.addresses import email_key
from app.shared.clients import ClientInfo

__all__ = ["AccountDeletion", "AddressMismatch", "Deleted"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True)
class Deleted:
    sessions: int  # how many sessions ended


@dataclass(frozen=True, slots=True)
class AddressMismatch:
    """The address typed to confirm is not the account's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDeletion:
    db: Database
    clock: Clock
    ender: SessionEnder
    confirmation: PasswordConfirmation
    notices: Notices

    async def delete_own(
        self, user: TokenClaims, password: str, typed_email: str, client: ClientInfo
    ) -> Deleted | AddressMismatch | WrongCredentials | Throttled:
        """The signed-in person deletes their account: the address must be the account's,
        the password checked like on the password form (wrong ones counted per session)."""
        now = self.clock.now()
        account = await self.confirmation.confirm(user, password, now)
        if isinstance(account, Throttled | WrongCredentials):
            return account
        if email_key(typed_email.strip()) != email_key(account.email):
            return AddressMismatch()
        async with self.db.write() as tx:
            if await repository.lock_unchanged(tx.session, account) is None:
                return WrongCredentials()  # a reset or change won meanwhile
            return await self.erase(tx, account, client, now, this_session=user.session_id)

    async def erase(
        self,
        tx: Tx,
        account: User,
        client: ClientInfo,
        now: int,
        *,
        this_session: str | None = None,
    ) -> Deleted:
        """In ``tx``: everything of the account, gone; the mail that says so, queued."""
        if account.id is None:
            raise ValueError("only a saved account can be deleted")
        user_id, address = account.id, account.email
        ended = await self.ender.end(
            tx,
            user_id=user_id,
            token_session=this_session,
            kind=EventKind.SESSION_REVOKED,
            now=now,
            client=client,
        )
        db = tx.session
        # Every address the account's links went to (an address change asked for too).
        sent_to = (
            await db.exec(select(EmailToken.address).where(col(EmailToken.user_id) == user_id))
        ).all()
        keys = sorted({email_key(a) for a in [address, *sent_to]})
        # Links (and, by their foreign key, what the "not me" links are about).
        await db.exec(delete(EmailToken).where(col(EmailToken.user_id) == user_id))
        await db.exec(delete(AuthEvent).where(col(AuthEvent.user_id) == user_id))
        await db.exec(
            delete(OutboxMail).where(
                or_(col(OutboxMail.user_id) == user_id, col(OutboxMail.to_address) == address)
            )
        )
        await db.exec(delete(ThrottleBucket).where(_holds(keys, user_id)))
        await db.exec(delete(User).where(col(User.id) == user_id))
        await self.notices.account_deleted(tx, address, now)
        log.info("account_deleted", user_id=user_id, sessions_ended=len(ended))
        return Deleted(sessions=len(ended))


def _holds(keys: list[str], user_id: int) -> ColumnElement[bool]:
    """Throttle keys are ``name:key``: the key an address's ``email_key`` alone or followed
    by ``|`` and a client address (matched exactly, never another address that ends with
    this one: ``bob@x`` is not ``ob@x``), or the account's id (address changes asked for).
    No other key ends in ``:<digits>`` (client addresses end in a digit after a dot, or in
    ``/64``; sessions and devices are named by random strings without a colon)."""
    column = col(ThrottleBucket.key)
    by_address = [
        condition
        for key in keys
        for condition in (
            column.endswith(f":{key}", autoescape=True),
            column.contains(f":{key}|", autoescape=True),
        )
    ]
    return or_(*by_address, column.endswith(f":{user_id}", autoescape=True))
