"""Security notices: mails that tell an account's address what just happened to it
(ASVS 5.0 6.3.7, 7.4.x; NIST 800-63B rev 4: notify without enabling abuse).

Each is written in the transaction of the change it reports, and counts against the
per-address, per-kind mail limit like a link does (``app.mail.limits``): past it the
change still happens and the activity log still records it, but nothing more of that
kind reaches the address - a flood of changes cannot become a flood of mail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.clock import to_iso
from app.db.database import Tx
from app.db.models import User
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.shared.clients import ClientInfo

__all__ = ["Notices"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Notices:
    outbox: Outbox
    messages: Messages
    limits: MailLimits
    describe: Callable[[str], str]  # a user agent -> "Firefox on Windows"

    async def password_changed(
        self, tx: Tx, user: User, client: ClientInfo, now: int, *, here_kept: bool
    ) -> None:
        """``here_kept``: the browser that changed it stays signed in (a signed-in change)."""
        await self._send(
            tx,
            MailKind.PASSWORD_CHANGED,
            user,
            now,
            when=_when(now),
            device=self.describe(client.user_agent),
            network=client.address or "an unknown network",
            forgot_url=self.messages.url("/forgot-password"),
            here_kept=here_kept,
        )

    async def email_change_requested(self, tx: Tx, user: User, new_email: str, now: int) -> None:
        await self._send(
            tx,
            MailKind.EMAIL_CHANGE_NOTICE,
            user,
            now,
            new_email=new_email,
            url=self.messages.url("/sessions"),
        )

    async def second_factor(
        self, tx: Tx, kind: str, user: User, client: ClientInfo, now: int, *, left: int = 0
    ) -> None:
        """The authenticator app turned on or off, new recovery codes, a code used:
        ``kind`` is the mail (``MailKind.TWO_FACTOR_ON`` ...); ``left``: codes still unused."""
        await self._send(
            tx,
            kind,
            user,
            now,
            when=_when(now),
            device=self.describe(client.user_agent),
            network=client.address or "an unknown network",
            security_url=self.messages.url("/account/security"),
            forgot_url=self.messages.url("/forgot-password"),
            left=left,
        )

    async def passkey(
        self, tx: Tx, kind: str, user: User, client: ClientInfo, now: int, *, name: str
    ) -> None:
        """A passkey was added or removed (``MailKind.PASSKEY_ADDED`` / ``_REMOVED``)."""
        await self._send(
            tx,
            kind,
            user,
            now,
            name=name,
            when=_when(now),
            device=self.describe(client.user_agent),
            network=client.address or "an unknown network",
            security_url=self.messages.url("/account/passkeys"),
            forgot_url=self.messages.url("/forgot-password"),
        )

    async def new_sign_in(
        self,
        tx: Tx,
        user: User,
        client: ClientInfo,
        now: int,
        *,
        link: Callable[[], Awaitable[str]],
    ) -> None:
        """A sign-in from a browser the account does not know; ``link`` makes its "not
        me" link (only when the mail is sent: past the limit, no link exists)."""
        if not await self.limits.allow(MailKind.NEW_SIGN_IN, user.email, now, tx=tx):
            return
        await self.outbox.send(
            tx,
            MailKind.NEW_SIGN_IN,
            to=user.email,
            user_id=user.id,
            now=now,
            when=_when(now),
            device=self.describe(client.user_agent),
            network=client.address or "an unknown network",
            not_me_url=await link(),
        )

    async def account_disabled(self, tx: Tx, user: User, now: int, *, reason: str) -> None:
        await self._send(tx, MailKind.ACCOUNT_DISABLED, user, now, when=_when(now), reason=reason)

    async def account_deleted(self, tx: Tx, address: str, now: int) -> None:
        """The last mail to a deleted account: it belongs to no account, counts against
        no limit (a counter would hold the address), and its row goes once delivered."""
        await self.outbox.send(
            tx, MailKind.ACCOUNT_DELETED, to=address, user_id=None, now=now, when=_when(now)
        )

    async def _send(self, tx: Tx, kind: str, user: User, now: int, **context: Any) -> None:
        if await self.limits.allow(kind, user.email, now, tx=tx):
            await self.outbox.send(tx, kind, to=user.email, user_id=user.id, now=now, **context)


def _when(now: int) -> str:
    return to_iso(now).replace("T", " ").replace("Z", " UTC")
