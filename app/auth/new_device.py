"""New-device sign-in alerts (ASVS 5.0 6.3.5): a sign-in from a browser that does not
carry the account's device cookie mails the account's address the time, the device and
the network, with a "not me" link that ends that very sign-in.

- The alert is written in the transaction of the session it reports
  (:meth:`app.auth.sign_in.SignIn.complete` decides, where the device cookie is read);
  it counts against the per-address mail limit: past it the sign-in still works and
  nothing is sent (no link is made either).
- The link is a mailed token like the others (:mod:`app.auth.email_tokens`, purpose
  ``not_me``: hashed, single use, ``APP_VERIFY_TTL``); each alert's link speaks for its
  own sign-in, so a newer one does not replace it. Opening it changes nothing; posting
  it ends the session on every worker and writes "reported as not me" to the log.
- ``APP_NEW_DEVICE_ALERTS=false`` turns the alerts off.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import email_tokens
from app.auth.email_tokens import Purpose
from app.auth.notices import Notices
from app.auth.session_store import SessionEnder
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import NotMeLink, User
from app.mail.messages import Messages
from app.shared.activity import EventKind
from app.shared.clients import ClientInfo, describe_device

__all__ = ["NewDeviceAlerts", "SignInReport"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True)
class SignInReport:
    """The sign-in a "not me" link is about, as its page shows it."""

    email: str
    signed_in_at: int
    device: str
    network: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDeviceAlerts:
    db: Database
    clock: Clock
    notices: Notices
    messages: Messages
    ender: SessionEnder
    enabled: bool
    ttl: int  # how long the "not me" link works (APP_VERIFY_TTL)

    async def signed_in(
        self, tx: Tx, user: User, session_id: str, client: ClientInfo, now: int
    ) -> None:
        """In the new session's transaction: the alert for a browser the account does not
        know (when alerts are on and the address may get one more)."""
        if not self.enabled or user.id is None:
            return
        user_id = user.id

        async def link() -> str:
            token = await email_tokens.issue(
                tx.session,
                user_id=user_id,
                purpose=Purpose.NOT_ME,
                address=user.email,
                now=now,
                ttl=self.ttl,
                replace=False,
            )
            tx.session.add(
                NotMeLink(
                    token_hash=email_tokens.token_hash(token),
                    session_public_id=session_id,
                    signed_in_at=now,
                    user_agent=client.user_agent[:512],
                    client_addr=client.address[:64],
                )
            )
            await tx.session.flush()
            return self.messages.link("/not-me", token)

        await self.notices.new_sign_in(tx, user, client, now, link=link)

    async def report_of(self, token: str) -> SignInReport | None:
        """What the link is about, if it works now; None if it does not (unknown, used,
        expired). Changes nothing."""
        async with self.db.read() as db:
            opened = await email_tokens.open_link(db, token, Purpose.NOT_ME, self.clock.now())
            found = await _link_row(db, opened.row.token_hash) if opened else None
        if opened is None or found is None:
            return None
        return SignInReport(
            email=opened.user.email,
            signed_in_at=found.signed_in_at,
            device=describe_device(found.user_agent),
            network=found.client_addr or "an unknown network",
        )

    async def not_me(self, token: str, client: ClientInfo) -> bool:
        """End the sign-in the link is about, at once, everywhere; False if the link does
        not work."""
        now = self.clock.now()
        async with self.db.write() as tx:
            used = await email_tokens.consume(tx.session, token, Purpose.NOT_ME, now)
            found = await _link_row(tx.session, used.row.token_hash) if used else None
            if used is None or found is None:
                return False
            await self.ender.end(
                tx,
                user_id=used.user_id,
                only=[found.session_public_id],
                token_session=found.session_public_id,
                kind=EventKind.REPORTED_NOT_ME,
                now=now,
                client=client,
            )
        log.info("reported_not_me", user_id=used.user_id, session=found.session_public_id)
        return True


async def _link_row(db: AsyncSession, token_hash: str) -> NotMeLink | None:
    result = await db.exec(select(NotMeLink).where(NotMeLink.token_hash == token_hash))
    return result.first()
