"""The transactional outbox: a mail is a row written in the same transaction as what it is
about (the token it carries, the password change it reports); a sender task in every
process delivers rows afterwards, so no request ever waits for SMTP.

- **Exactly one process delivers a row**: it claims it with a conditional ``UPDATE``
  (``queued`` -> ``sending``, with a lease); a process that dies mid-delivery leaves a
  lease that expires, and the row is delivered again (at least once, never in parallel).
- **Retries**: a failed delivery waits (30 s, 2 min, 10 min, 30 min) and is given up after
  five attempts: ``failed``, and an entry in the account's activity log.
- **No secret kept**: once delivered or given up, the body (which may hold a link) is
  dropped; to, subject, time and status stay for the record.
- **Deferred requests**: a password-reset request is a ``requested`` row that holds only
  the address; the sender resolves it (account, token, text) in a transaction of its own,
  so the request's answer costs the same whether the address has an account or not.
- **Links first**: among the rows due, mails that carry a link (reset, verification,
  address change) are claimed before notices queued earlier; a delivery under way is
  never interrupted.
- Without ``APP_SMTP_URL`` nothing is delivered: mail stays ``queued``, for the dev
  mailbox to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy import case, delete, update
from sqlmodel import col, select

from app.clock import Clock
from app.db.database import Database, Tx, is_unavailable, unavailable_cause
from app.db.models import OutboxMail
from app.mail.messages import Composed, MailKind, Messages
from app.mail.transport import DeliveryError, SmtpTarget
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["Outbox", "Preparer", "Status", "purge"]

log = structlog.get_logger("app.mail")

MAX_ATTEMPTS = 5
BACKOFF = (30, 120, 600, 1800)  # seconds before attempts 2..5
LEASE = 120  # seconds a process may hold a row it is delivering
BATCH = 20


_LINKS_FIRST = case((col(OutboxMail.kind).in_(sorted(MailKind.LINKS)), 0), else_=1)


def _stopping() -> bool:
    """Cancelled, even if a library on the way turned the CancelledError into its own."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Status:
    REQUESTED = "requested"  # a deferred request: the sender decides what, if anything, to send
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


# Resolves a deferred request in the sender's transaction: fills the row (and says
# queued), or says there is nothing to send (the row is deleted).
Preparer = Callable[[Tx, OutboxMail, int], Awaitable[bool]]


class Outbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        messages: Messages,
        *,
        smtp: SmtpTarget | None,
        poll: float,
    ) -> None:
        self._db = db
        self._clock = clock
        self._messages = messages
        self._smtp = smtp
        self._poll = poll
        self._wake = asyncio.Event()
        self._requests_waiting = False  # this process committed a deferred request
        self._mail_waiting = False  # ... or a mail
        self._preparers: dict[str, Preparer] = {}

    @property
    def delivers(self) -> bool:
        return self._smtp is not None

    def prepare_with(self, kind: str, preparer: Preparer) -> None:
        self._preparers[kind] = preparer

    async def send(
        self, tx: Tx, kind: str, *, to: str, user_id: int | None, now: int, **context: Any
    ) -> None:
        """A mail to ``to`` (also its ``email`` in the template), in the caller's
        transaction; the sender is woken once it commits."""
        composed = self._messages.compose(kind, email=to, **context)
        tx.session.add(
            OutboxMail(
                created_at=now,
                kind=kind,
                to_address=to,
                user_id=user_id,
                subject=composed.subject,
                body_text=composed.text,
                body_html=composed.html,
                message_id=composed.message_id,
                status=Status.QUEUED,
                next_attempt_at=now,
            )
        )
        await tx.session.flush()
        tx.after_commit(self._mail_committed)

    async def request(self, tx: Tx, *, kind: str, to: str, now: int) -> None:
        """A deferred request (its preparer decides, in the sender)."""
        tx.session.add(
            OutboxMail(
                created_at=now,
                kind=kind,
                to_address=to,
                status=Status.REQUESTED,
                next_attempt_at=now,
            )
        )
        await tx.session.flush()
        tx.after_commit(self._request_committed)

    async def _mail_committed(self) -> None:
        if self._smtp is not None:  # with no mail server, a queued mail stays as it is
            self._mail_waiting = True
            self._wake.set()

    async def _request_committed(self) -> None:
        self._requests_waiting = True
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: prepare requests, deliver what is due; then wait to be woken
        (a commit in this process) or for the next poll (another process's commits)."""
        polled = True  # the first round looks at everything
        while True:
            try:
                await self.work(
                    requests=polled or self._requests_waiting, mail=polled or self._mail_waiting
                )
            except Exception as error:  # a broken round is logged and retried at the next one
                if _stopping():
                    raise
                if is_unavailable(error):  # the database is down or slow: one line
                    log.warning("outbox_round_failed", error=unavailable_cause(error))
                else:
                    log.exception("outbox_round_failed")
            if _stopping():
                raise asyncio.CancelledError
            polled = False
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll)
            except TimeoutError:
                polled = True  # other processes' rows, retries that are due
            self._wake.clear()

    async def work(self, *, requests: bool = True, mail: bool = True) -> int:
        """One round; how many rows it prepared or delivered."""
        self._requests_waiting = self._mail_waiting = False
        done = await self._prepare_requests() if requests else 0
        if mail and self._smtp is not None:
            done += await self._deliver_due(self._smtp)
        return done

    async def _prepare_requests(self) -> int:
        async with self._db.read() as db:
            ids = (
                await db.exec(
                    select(OutboxMail.id)
                    .where(col(OutboxMail.status) == Status.REQUESTED)
                    .order_by(col(OutboxMail.id))
                    .limit(BATCH)
                )
            ).all()
        done = 0
        for row_id in ids:
            now = self._clock.now()
            async with self._db.write() as tx:
                row = await tx.session.get(OutboxMail, row_id, with_for_update=True)
                if row is None or row.status != Status.REQUESTED:
                    continue  # another process took it
                preparer = self._preparers.get(row.kind)
                if preparer is None or not await preparer(tx, row, now):
                    await tx.session.exec(delete(OutboxMail).where(col(OutboxMail.id) == row_id))
                else:
                    row.status, row.next_attempt_at = Status.QUEUED, now
                    tx.session.add(row)
                    tx.after_commit(self._mail_committed)
            done += 1
        return done

    async def _deliver_due(self, smtp: SmtpTarget) -> int:
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
                update(OutboxMail)
                .where(col(OutboxMail.id) == row.id)
                .values(
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
                update(OutboxMail).where(col(OutboxMail.id) == row.id).values(**values)
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

    async def recent(self, limit: int = 50) -> list[OutboxMail]:
        """What the dev mailbox shows, newest first (deferred requests are not mail yet)."""
        async with self._db.read() as db:
            result = await db.exec(
                select(OutboxMail)
                .where(col(OutboxMail.status) != Status.REQUESTED)
                .order_by(col(OutboxMail.id).desc())
                .limit(limit)
            )
        return list(result.all())


async def purge(db: Database, older_than: int) -> int:
    """Delivered and given-up rows (their bodies are gone already) created before
    ``older_than``: the record of what was sent is kept one mail window."""
    async with db.write() as tx:
        result = await tx.session.exec(
            delete(OutboxMail).where(
                col(OutboxMail.status).in_([Status.SENT, Status.FAILED]),
                col(OutboxMail.created_at) < older_than,
            )
        )
    return int(result.rowcount or 0)
