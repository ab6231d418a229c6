"""Changing an account's address (ASVS 5.0 7.4.x).

A change needs the current password; a link goes to the **new** address and a notice (with
no link) to the old one. One account asks for at most ``APP_MAIL_MAX_PER_ADDRESS`` changes
inside ``APP_MAIL_WINDOW`` (else strangers' mailboxes fill with links). An address another
account has gets the same answer and no mail at all. The address switches only when the
link is used (a POST, as for every link): then every other session ends, every other link
mailed for the account dies, and the browser that confirmed (if signed in) shows the new
address. Two accounts confirming one address at the same moment: one gets it, the other
the answer for a taken address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import structlog
from sqlalchemy.exc import IntegrityError

from app.auth import email_tokens, repository
from app.auth.authenticate import TokenIssuer
from app.auth.confirmation import PasswordConfirmation
from app.auth.email_tokens import Purpose
from app.auth.notices import Notices
from app.auth.session_store import SessionEnder
from app.auth.types import Confirmed, Throttled, WrongCredentials
from app.clock import Clock
from app.db.database import Database
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo
from app.shared.throttle import Throttle

__all__ = ["EmailChange"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailChange:
    db: Database
    clock: Clock
    outbox: Outbox
    messages: Messages
    ender: SessionEnder
    limits: MailLimits
    confirmation: PasswordConfirmation
    changes: Throttle  # address changes asked for (with the right password), per account
    notices: Notices
    issuer: TokenIssuer
    verify_ttl: int

    async def link_works(self, token: str) -> bool:
        async with self.db.read() as db:
            opened = await email_tokens.open_link(db, token, Purpose.CHANGE, self.clock.now())
        return opened is not None

    async def request_change(
        self, user: TokenClaims, new_email: str, password: str, client: ClientInfo
    ) -> bool | Throttled:
        """Check the password, then send the link to the new address (unless another
        account has it) and a notice to the old one. False: wrong password; Throttled:
        too many wrong passwords in this session, or too many changes asked for by this
        account (nothing is mailed)."""
        now = self.clock.now()
        account = await self.confirmation.confirm(user, password, now)
        if isinstance(account, Throttled):
            return account
        if isinstance(account, WrongCredentials):
            return False
        async with self.db.read() as db:
            taken = await repository.find_user_by_email(db, new_email)
        if wait := await self.changes.attempt(str(user.user_id), now):
            return Throttled(wait)
        async with self.db.write() as tx:
            if await repository.lock_unchanged(tx.session, account) is None:
                return False  # the password changed since it was checked: no link
            send_link = taken is None and await self.limits.allow(
                MailKind.EMAIL_CHANGE, new_email, now, tx=tx
            )
            if send_link:
                token = await email_tokens.issue(
                    tx.session,
                    user_id=user.user_id,
                    purpose=Purpose.CHANGE,
                    address=new_email,
                    now=now,
                    ttl=self.verify_ttl,
                )
                await self.outbox.send(
                    tx,
                    MailKind.EMAIL_CHANGE,
                    to=new_email,
                    user_id=user.user_id,
                    now=now,
                    old_email=account.email,
                    hours=self.verify_ttl // 3600,
                    link=self.messages.link("/confirm-email", token),
                )
            await self.notices.email_change_requested(tx, account, new_email, now)
            await record_event(
                tx.session,
                EventKind.EMAIL_CHANGE_REQUESTED,
                now,
                client,
                user_id=user.user_id,
                session_id=user.session_id,
            )
        return True

    async def confirm_change(
        self, token: str, client: ClientInfo, *, current: TokenClaims | None
    ) -> Confirmed | Literal["unusable", "taken"]:
        """Use a change link: the address switches (now verified), every other session ends
        (all of them when the confirming browser is not this account's). "unusable": the
        link does not work; "taken": another account has the address now (the link is
        used up)."""
        now = self.clock.now()
        try:
            async with self.db.write() as tx:
                used = await email_tokens.consume(tx.session, token, Purpose.CHANGE, now)
                if used is None:
                    return "unusable"
                address, user_id = used.row.address, used.user_id
                if await repository.find_user_by_email(tx.session, address) is not None:
                    return "taken"
                await repository.set_email(tx.session, user_id, address, verified_at=now)
                await email_tokens.void_all(tx.session, user_id)  # older links: another address
                mine = current if current is not None and current.user_id == user_id else None
                await self.ender.end(
                    tx,
                    user_id=user_id,
                    keep=mine.session_id if mine else None,
                    kind=EventKind.SESSION_REVOKED,
                    now=now,
                    client=client,
                )
                await record_event(
                    tx.session,
                    EventKind.EMAIL_CHANGED,
                    now,
                    client,
                    user_id=user_id,
                    session_id=mine.session_id if mine else None,
                )
        except IntegrityError:  # another account confirmed this address at the same moment
            return "taken"
        issued = (
            self.issuer.issue(replace(mine, email=address, email_verified=True), now)
            if mine
            else None
        )
        log.info("email_changed", user_id=user_id)
        return Confirmed(user_id=user_id, issued=issued)
