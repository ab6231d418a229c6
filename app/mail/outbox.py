"""The transactional outbox: a mail is a row written in the same transaction as what it is
about (the token it carries, the password change it reports); a sender task in every
process delivers rows afterwards, so no request ever waits for SMTP.

- **Delivery** (:mod:`app.mail.delivery`): one process per row, links first, retries
  with backoff, bodies dropped once delivered or given up.
- **Deferred requests**: a password-reset request is a ``requested`` row that holds only
  the address; the sender resolves it (account, token, text) in a transaction of its own,
  so the request's answer costs the same whether the address has an account or not.
- Without ``APP_SMTP_URL`` nothing is delivered: mail stays ``queued``, for the dev
  mailbox to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy import delete
from sqlmodel import col, select

from app.clock import Clock
from app.db.database import Database, Tx, is_unavailable, unavailable_cause
from app.db.models import OutboxMail
from app.mail.delivery import BATCH, Delivery, Status
from app.mail.messages import Messages
from app.mail.transport import SmtpTarget

__all__ = ["Outbox", "Preparer", "Status", "purge"]

log = structlog.get_logger("app.mail")


def _stopping() -> bool:
    """Cancelled, even if a library on the way turned the CancelledError into its own."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


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
        self._delivery = Delivery(db, clock, messages)

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
            done += await self._delivery.deliver_due(self._smtp)
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
