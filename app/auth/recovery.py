"""A forgotten password (OWASP Forgot Password cheat sheet; ASVS 5.0 6.3.7, 6.4.1).

- Asking for a reset answers the same, in the same time, for any address: the request is
  a deferred outbox row holding only the address, resolved by the mail sender
  (:meth:`Recovery.prepare_reset`), which alone looks the account up.
- The link works once, for ``APP_RESET_TTL``, and only while the account's address is the
  one it was mailed to; a newer request replaces older links.
- A reset voids every other link mailed for the account (an address change asked for
  before it above all: the "pre-hijacked account", Sudhodanan & Paverd 2022).
- A reset ends every session of the account (their tokens too, inside their access
  window, on every worker), counts as a verified address, signs nobody in, and tells the
  account's address that its password was changed, with the time and the device.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from app.auth import email_tokens, repository
from app.auth.email_tokens import Purpose
from app.auth.notices import Notices
from app.auth.session_store import SessionEnder
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import OutboxMail
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["Recovery"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovery:
    db: Database
    clock: Clock
    outbox: Outbox
    messages: Messages
    notices: Notices
    passwords: PasswordService
    ender: SessionEnder
    limits: MailLimits
    reset_ttl: int

    async def request_reset(self, email: str) -> None:
        """Whatever the address: one small write, the same answer (nothing to return)."""
        now = self.clock.now()
        if not await self.limits.allow(MailKind.RESET, email, now):
            return
        async with self.db.write() as tx:
            await self.outbox.request(tx, kind=MailKind.RESET, to=email, now=now)

    async def prepare_reset(self, tx: Tx, row: OutboxMail, now: int) -> bool:
        """In the sender: the account of the address, if any, gets a link (replacing older
        ones); an address without an account gets nothing at all."""
        user = await repository.find_user_by_email(tx.session, row.to_address)
        if user is None or user.id is None or user.disabled_at is not None:
            return False  # a disabled account is sent no mail but the notice that says so
        token = await email_tokens.issue(
            tx.session,
            user_id=user.id,
            purpose=Purpose.RESET,
            address=user.email,
            now=now,
            ttl=self.reset_ttl,
        )
        composed = self.messages.compose(
            MailKind.RESET,
            email=user.email,
            link=self.messages.link("/reset-password", token),
            minutes=self.reset_ttl // 60,
        )
        row.user_id, row.to_address = user.id, user.email
        row.subject, row.body_text, row.body_html = composed.subject, composed.text, composed.html
        row.message_id = composed.message_id
        return True

    async def link_works(self, token: str) -> bool:
        return await self.account_of(token) is not None

    async def account_of(self, token: str) -> str | None:
        """The address of the account a working reset link is for; None if it does not
        work (unknown, used, voided, expired, or mailed to an address it no longer has)."""
        async with self.db.read() as db:
            opened = await email_tokens.open_link(db, token, Purpose.RESET, self.clock.now())
        return opened.user.email if opened is not None else None

    async def reset(
        self, token: str, new_password: str, client: ClientInfo, *, current: TokenClaims | None
    ) -> bool:
        """Store the new password and end every session; False if the link does not work
        (unknown, used, expired, replaced by a newer one)."""
        now = self.clock.now()
        if not await self.link_works(token):
            return False
        new_hash = await self.passwords.hash(new_password)
        async with self.db.write() as tx:
            used = await email_tokens.consume(tx.session, token, Purpose.RESET, now)
            if used is None:
                return False
            user, user_id = used.user, used.user_id
            await repository.set_password_hash(tx.session, user_id, new_hash)
            await email_tokens.void_all(tx.session, user_id)  # an address change asked for too
            if user.email_verified_at is None:  # the link reached this very address
                await repository.mark_verified(tx.session, user_id, now)
            mine = current.session_id if current and current.user_id == user_id else None
            ended = await self.ender.end(
                tx,
                user_id=user_id,
                token_session=mine,
                kind=EventKind.SESSION_REVOKED,
                now=now,
                client=client,
            )
            await record_event(
                tx.session,
                EventKind.PASSWORD_RESET,
                now,
                client,
                user_id=user_id,
                session_id=None,
            )
            await self.notices.password_changed(tx, user, client, now, here_kept=False)
        log.info("password_reset", user_id=user_id, sessions_ended=len(ended))
        return True
