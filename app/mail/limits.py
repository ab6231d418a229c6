"""Mail bombing: at most ``APP_MAIL_MAX_PER_ADDRESS`` mails of each kind (reset,
verification, address change, and every security notice) to one address inside
``APP_MAIL_WINDOW``, on the app's clock, shared by every process. Past it nothing more of
that kind is sent, and the person sees the very same page (the limit says nothing about
whether the address has an account)."""

from __future__ import annotations

from app.db.database import Tx
from app.shared.addresses import email_key
from app.shared.throttle import Counter, Throttle

__all__ = ["MailLimits"]


class MailLimits:
    def __init__(self, counter: Counter, *, per_address: int, window: int) -> None:
        self._counter = counter
        self._per_address = per_address
        self._window = window

    async def allow(self, kind: str, address: str, now: int, *, tx: Tx | None = None) -> bool:
        """Count one mail of ``kind`` to ``address`` if the limit allows it (in ``tx``
        when the mail is written in that transaction)."""
        throttle = Throttle(
            self._counter, name=f"mail-{kind}", limit=self._per_address, window=self._window
        )
        return not await throttle.attempt(email_key(address), now, tx=tx)
