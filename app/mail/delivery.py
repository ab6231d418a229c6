"""Delivering what the outbox holds (:mod:`app.mail.outbox`): claim, send, record.

- **Exactly one process delivers a row**: it claims it with a conditional ``UPDATE``
  (``queued`` -> ``sending``, with a lease); a process that dies mid-delivery leaves a
  lease that expires, and the row is delivered again (at least once, never in parallel).
- **Links first**: among the rows due, mails that carry a link (reset, verification,
  address change) are claimed before notices queued earlier; a delivery under way is
  never interrupted.
- **Retries**: a failed delivery waits (30 s, 2 min, 10 min, 30 min) and is given up after
  five attempts: ``failed``, and an entry in the account's activity log.
- **No secret kept**: once delivered or given up, the body (which may hold a link) is
  dropped; to, subject, time and status stay for the record - except for the mail that
  says an account was deleted (``MailKind.FORGOTTEN``): its whole row goes, so that
  nothing holds the address any more.
"""

from __future__ import annotations

import structlog
from sqlalchemy import Delete, Update, case, delete, update
from sqlmodel import col, select

from app.clock import Clock
from app.db.database import Database
from app.db.models import OutboxMail
from app.mail.messages import Composed, MailKind, Messages
from app.mail.transport import DeliveryError, SmtpTarget
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["BACKOFF", "BATCH", "LEASE", "MAX_ATTEMPTS", "Delivery", "Status"]

log = structlog.get_logger("app.mail")

MAX_ATTEMPTS = 5
BACKOFF = (30, 120, 600, 1800)  # seconds before attempts 2..5
LEASE = 120  # seconds a process may hold a row it is delivering
BATCH = 20

_LINKS_FIRST = case((col(OutboxMail.kind).in_(sorted(MailKind.LINKS)), 0), else_=1)


class Status:
    REQUESTED = "requested"  # a deferred request: the sender decides what, if anything, to send
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Delivery:
    def __init__(self, db: Database, clock: Clock, messages: Messages) -> None:
        self._db = db
        self._clock = clock
        self._messages = messages

    async def deliver_due(self, smtp: SmtpTarget) -> int:
        """Deliver what is due now (a batch); how many were sent or failed."""
        now = self._clock.now()
        async with self._db.read() as db:
            due = (
                await db.exec(
                    select(OutboxMail)
                    .where(
                        (
                            (col(OutboxMail.status) == Status.QUEUED)
                            & (col(OutboxMail.next_attempt_at) <= now)
                        )
                        | (
                            (col(OutboxMail.status) == Status.SENDING)
                            & (col(OutboxMail.lease_until) <= now)
                        )
                    )
                    .order_by(_LINKS_FIRST, col(OutboxMail.id))
                    .limit(BATCH)
                )
            ).all()
        delivered = 0
        for row in due:
            if await self._claim(row, now):
                await self._deliver(smtp, row)
                delivered += 1
        return delivered

    async def _claim(self, row: OutboxMail, now: int) -> bool:
        async with self._db.write() as tx:
            claimed = await tx.session.exec(
                update(OutboxMail)
                .where(
                    col(OutboxMail.id) == row.id,
                    col(OutboxMail.status) == row.status,
                    col(OutboxMail.attempts) == row.attempts,
                )
                .values(status=Status.SENDING, lease_until=now + LEASE)
            )
        return claimed.rowcount == 1

    async def _deliver(self, smtp: SmtpTarget, row: OutboxMail) -> None:
        composed = Composed(
            subject=row.subject,
            text=row.body_text or "",
            html=row.body_html or "",
            message_id=row.message_id,
        )
        message = self._messages.message(row.to_address, composed, row.created_at)
        try:
            await smtp.send(message)
        except DeliveryError as error:
            await self._failed(row, str(error))
            return
        async with self._db.write() as tx:
            await tx.session.exec(
                _finished(
                    row,
                    status=Status.SENT,
                    sent_at=self._clock.now(),
                    body_text=None,
                    body_html=None,
                    lease_until=None,
                )
            )
        log.info("mail_sent", kind=row.kind, mail=row.id)

    async def _failed(self, row: OutboxMail, error: str) -> None:
        now = self._clock.now()
        attempts = row.attempts + 1
        final = attempts >= MAX_ATTEMPTS
        values: dict[str, object] = {
            "attempts": attempts,
            "last_error": error[:255],
            "lease_until": None,
            "status": Status.FAILED if final else Status.QUEUED,
            "next_attempt_at": now + BACKOFF[min(attempts, len(BACKOFF)) - 1],
        }
        if final:
            values |= {"body_text": None, "body_html": None}
        async with self._db.write() as tx:
            await tx.session.exec(
                _finished(row, **values)
                if final
                else update(OutboxMail).where(col(OutboxMail.id) == row.id).values(**values)
            )
            if final and row.user_id is not None:
                await record_event(
                    tx.session,
                    EventKind.MAIL_FAILED,
                    now,
                    ClientInfo(),
                    user_id=row.user_id,
                    session_id=None,
                )
        log.warning("mail_not_sent", kind=row.kind, mail=row.id, attempt=attempts, final=final)


def _finished(row: OutboxMail, **values: object) -> Delete | Update:
    """A row that is done with (delivered or given up) keeps its record, bodies dropped;
    a mail the database must forget (``MailKind.FORGOTTEN``) goes altogether."""
    if row.kind in MailKind.FORGOTTEN:
        return delete(OutboxMail).where(col(OutboxMail.id) == row.id)
    return update(OutboxMail).where(col(OutboxMail.id) == row.id).values(**values)
