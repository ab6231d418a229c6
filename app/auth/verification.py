"""Checking that an account's address is the person's (ASVS 5.0 6.3.8). Every link is
used by a POST (a GET only shows a button: mail scanners open every link in a mail, and
must not use it up).

Registration sends a check (in the registration's transaction); the dashboard offers to
send it again, limited like every mail. A browser signed in to the account that uses the
link gets a token that says the address is verified.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.auth import email_tokens, repository
from app.auth.authenticate import TokenIssuer
from app.auth.email_tokens import Purpose
from app.auth.types import Confirmed
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import User
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["Verification"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    db: Database
    clock: Clock
    outbox: Outbox
    messages: Messages
    limits: MailLimits
    issuer: TokenIssuer
    verify_ttl: int

    async def may_send_check(self, address: str, now: int) -> bool:
        """Counted before the transaction that sends it (the limit is its own write)."""
        return await self.limits.allow(MailKind.VERIFY, address, now)

    async def send_check(self, tx: Tx, user: User, now: int) -> None:
        if user.id is None:
            raise ValueError("the user must be saved first")
        token = await email_tokens.issue(
            tx.session,
            user_id=user.id,
            purpose=Purpose.VERIFY,
            address=user.email,
            now=now,
            ttl=self.verify_ttl,
        )
        await self.outbox.send(
            tx,
            MailKind.VERIFY,
            to=user.email,
            user_id=user.id,
            now=now,
            hours=self.verify_ttl // 3600,
            link=self.messages.link("/verify-email", token),
        )

    async def resend_check(self, user: TokenClaims) -> None:
        now = self.clock.now()
        async with self.db.read() as db:
            account = await repository.find_user(db, user.user_id)
        if account is None or account.email_verified_at is not None:
            return
        if not await self.may_send_check(account.email, now):
            return
        async with self.db.write() as tx:
            await self.send_check(tx, account, now)

    async def link_works(self, token: str) -> bool:
        async with self.db.read() as db:
            opened = await email_tokens.open_link(db, token, Purpose.VERIFY, self.clock.now())
        return opened is not None

    async def verify(
        self, token: str, client: ClientInfo, *, current: TokenClaims | None
    ) -> Confirmed | None:
        """Use a check link; None if it does not work (or the address changed since). A
        browser signed in to the account gets a token that says so."""
        now = self.clock.now()
        async with self.db.write() as tx:
            used = await email_tokens.consume(tx.session, token, Purpose.VERIFY, now)
            if used is None:
                return None
            user = used.user
            await repository.mark_verified(tx.session, used.user_id, now)
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
            issued = self.issuer.issue(replace(current, email_verified=True), now)
        return Confirmed(user_id=used.user_id, issued=issued)
