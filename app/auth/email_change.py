"""Changing an account's address (ASVS 5.0 7.4.x).

A change needs the current password; a link goes to the **new** address and a notice (with
no link) to the old one. An address another account has gets the same answer and no
mail at all. The address switches only when the link is used (a POST, as for every link):
then every other session ends, and the browser that confirmed (if signed in) shows the
new address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import structlog
from sqlalchemy import update
from sqlmodel import col

from app.auth import email_tokens, repository
from app.auth.authenticate import TokenIssuer
from app.auth.email_tokens import Purpose
from app.auth.emails import email_key
from app.auth.ending import SessionEnder
from app.auth.events import EventKind, record_event
from app.auth.throttle import Throttle
from app.auth.types import ClientInfo, Confirmed, Throttled
from app.clock import Clock
from app.db.database import Database
from app.db.models import User
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims

__all__ = ["EmailChange"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailChange:
    db: Database
    clock: Clock
    outbox: Outbox
    messages: Messages
    passwords: PasswordService
    ender: SessionEnder
    limits: MailLimits
    throttle: Throttle  # wrong current passwords, per session
    issuer: TokenIssuer
    verify_ttl: int

    async def link_works(self, token: str) -> bool:
        now = self.clock.now()
        async with self.db.read() as db:
            return email_tokens.usable(await email_tokens.find(db, token), Purpose.CHANGE, now)

    async def request_change(
        self, user: TokenClaims, new_email: str, password: str, client: ClientInfo
    ) -> bool | Throttled:
        """Check the password, then send the link to the new address (unless another
        account has it) and a notice to the old one. False: wrong password."""
        now = self.clock.now()
        if wait := await self.throttle.attempt(user.session_id, now):
            return Throttled(wait)
        async with self.db.read() as db:
            account = await repository.find_user(db, user.user_id)
            taken = await repository.find_user_by_email(db, new_email)
        ok, _ = await self.passwords.verify(account.password_hash if account else None, password)
        if account is None or account.id is None or not ok:
            return False
        await self.throttle.reset(user.session_id)
        send_link = taken is None and await self.limits.allow(MailKind.EMAIL_CHANGE, new_email, now)
        async with self.db.write() as tx:
            if send_link:
                token = await email_tokens.issue(
                    tx.session,
                    user_id=account.id,
                    purpose=Purpose.CHANGE,
                    address=new_email,
                    now=now,
                    ttl=self.verify_ttl,
                )
                await self.outbox.send(
                    tx,
                    MailKind.EMAIL_CHANGE,
                    to=new_email,
                    user_id=account.id,
                    now=now,
                    old_email=account.email,
                    hours=self.verify_ttl // 3600,
                    link=self.messages.link("/confirm-email", token),
                )
            await self.outbox.send(
                tx,
                MailKind.EMAIL_CHANGE_NOTICE,
                to=account.email,
                user_id=account.id,
                now=now,
                new_email=new_email,
                url=self.messages.url("/sessions"),
            )
            await record_event(
                tx.session,
                EventKind.EMAIL_CHANGE_REQUESTED,
                now,
                client,
                user_id=account.id,
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
        async with self.db.write() as tx:
            used = await email_tokens.consume(tx.session, token, Purpose.CHANGE, now)
            if used is None:
                return "unusable"
            if await repository.find_user_by_email(tx.session, used.address) is not None:
                return "taken"
            await tx.session.exec(
                update(User)
                .where(col(User.id) == used.user_id)
                .values(
                    email=used.address, email_key=email_key(used.address), email_verified_at=now
                )
            )
            mine = current if current is not None and current.user_id == used.user_id else None
            await self.ender.end(
                tx,
                user_id=used.user_id,
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
                user_id=used.user_id,
                session_id=mine.session_id if mine else None,
            )
        issued = (
            self.issuer.issue(replace(mine, email=used.address, email_verified=True), now)
            if mine
            else None
        )
        log.info("email_changed", user_id=used.user_id)
        return Confirmed(user_id=used.user_id, issued=issued)
