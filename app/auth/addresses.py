"""An account's email address: checking that it is the person's, and changing it (ASVS 5.0
6.3.8, 7.4.x). Every link is used by a POST (a GET only shows a button: mail scanners
open every link in a mail, and must not use it up).

- Registration sends a check (in the registration's transaction); the dashboard offers
  to send it again, limited like every mail.
- A change needs the current password; a link goes to the **new** address and a notice
  (with no link) to the old one. An address another account has gets the same answer and
  no mail at all. The address switches only when the link is used: then every other
  session ends, and the browser that confirmed (if signed in) shows the new address.
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
from app.auth.types import ClientInfo, IssuedToken, Throttled
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import User
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims

__all__ = ["Addresses", "Confirmed"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True)
class Confirmed:
    user_id: int
    issued: IssuedToken | None  # the confirming browser's new token (it was signed in)


class Addresses:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        messages: Messages,
        passwords: PasswordService,
        ender: SessionEnder,
        limits: MailLimits,
        throttle: Throttle,
        issuer: TokenIssuer,
        verify_ttl: int,
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._messages = messages
        self._passwords = passwords
        self._ender = ender
        self._limits = limits
        self._throttle = throttle  # wrong current passwords, per session
        self._issuer = issuer
        self._verify_ttl = verify_ttl

    # -- checking an address ------------------------------------------------------------

    async def may_send_check(self, address: str, now: int) -> bool:
        """Counted before the transaction that sends it (the limit is its own write)."""
        return await self._limits.allow(MailKind.VERIFY, address, now)

    async def send_check(self, tx: Tx, user: User, now: int) -> None:
        if user.id is None:
            raise ValueError("the user must be saved first")
        token = await email_tokens.issue(
            tx.session,
            user_id=user.id,
            purpose=Purpose.VERIFY,
            address=user.email,
            now=now,
            ttl=self._verify_ttl,
        )
        composed = self._messages.compose(
            MailKind.VERIFY,
            email=user.email,
            hours=self._verify_ttl // 3600,
            link=self._messages.link("/verify-email", token),
        )
        await self._outbox.enqueue(
            tx, kind=MailKind.VERIFY, to=user.email, composed=composed, user_id=user.id, now=now
        )

    async def resend_check(self, user: TokenClaims) -> None:
        now = self._clock.now()
        async with self._db.read() as db:
            account = await repository.find_user(db, user.user_id)
        if account is None or account.email_verified_at is not None:
            return
        if not await self.may_send_check(account.email, now):
            return
        async with self._db.write() as tx:
            await self.send_check(tx, account, now)

    async def is_verified(self, user_id: int) -> bool:
        async with self._db.read() as db:
            account = await repository.find_user(db, user_id)
        return account is not None and account.email_verified_at is not None

    async def link_works(self, token: str, purpose: Purpose) -> bool:
        now = self._clock.now()
        async with self._db.read() as db:
            return email_tokens.usable(await email_tokens.find(db, token), purpose, now)

    async def verify(
        self, token: str, client: ClientInfo, *, current: TokenClaims | None
    ) -> Confirmed | None:
        """Use a check link; None if it does not work (or the address changed since). A
        browser signed in to the account gets a token that says so."""
        now = self._clock.now()
        async with self._db.write() as tx:
            used = await email_tokens.consume(tx.session, token, Purpose.VERIFY, now)
            user = await repository.find_user(tx.session, used.user_id) if used else None
            if used is None or user is None or email_key(user.email) != email_key(used.address):
                return None
            await tx.session.exec(
                update(User).where(col(User.id) == user.id).values(email_verified_at=now)
            )
            await record_event(
                tx.session,
                EventKind.EMAIL_VERIFIED,
                now,
                client,
                user_id=user.id,
                session_id=None,
            )
        issued = None
        if current is not None and current.user_id == user.id:
            issued = self._issuer.issue(replace(current, email_verified=True), now)
        return Confirmed(user_id=used.user_id, issued=issued)

    # -- changing it --------------------------------------------------------------------

    async def request_change(
        self, user: TokenClaims, new_email: str, password: str, client: ClientInfo
    ) -> bool | Throttled:
        """Check the password, then send the link to the new address (unless another
        account has it) and a notice to the old one. False: wrong password."""
        now = self._clock.now()
        if wait := await self._throttle.attempt(user.session_id, now):
            return Throttled(wait)
        async with self._db.read() as db:
            account = await repository.find_user(db, user.user_id)
            taken = await repository.find_user_by_email(db, new_email)
        ok, _ = await self._passwords.verify(account.password_hash if account else None, password)
        if account is None or account.id is None or not ok:
            return False
        await self._throttle.reset(user.session_id)
        send_link = taken is None and await self._limits.allow(
            MailKind.EMAIL_CHANGE, new_email, now
        )
        async with self._db.write() as tx:
            if send_link:
                token = await email_tokens.issue(
                    tx.session,
                    user_id=account.id,
                    purpose=Purpose.CHANGE,
                    address=new_email,
                    now=now,
                    ttl=self._verify_ttl,
                )
                composed = self._messages.compose(
                    MailKind.EMAIL_CHANGE,
                    email=new_email,
                    old_email=account.email,
                    hours=self._verify_ttl // 3600,
                    link=self._messages.link("/confirm-email", token),
                )
                await self._outbox.enqueue(
                    tx,
                    kind=MailKind.EMAIL_CHANGE,
                    to=new_email,
                    composed=composed,
                    user_id=account.id,
                    now=now,
                )
            notice = self._messages.compose(
                MailKind.EMAIL_CHANGE_NOTICE,
                email=account.email,
                new_email=new_email,
                url=self._messages.url("/sessions"),
            )
            await self._outbox.enqueue(
                tx,
                kind=MailKind.EMAIL_CHANGE_NOTICE,
                to=account.email,
                composed=notice,
                user_id=account.id,
                now=now,
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
        now = self._clock.now()
        async with self._db.write() as tx:
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
            await self._ender.end(
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
            self._issuer.issue(replace(mine, email=used.address, email_verified=True), now)
            if mine
            else None
        )
        log.info("email_changed", user_id=used.user_id)
        return Confirmed(user_id=used.user_id, issued=issued)
