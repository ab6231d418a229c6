"""Confirming the current password on a signed-in form (change the password, change the
address, and the re-authentication and deletion forms to come): one way, with its own
throttle.

Wrong passwords count per session (``APP_LOGIN_MAX_FAILURES`` in ``APP_LOGIN_WINDOW``),
never against signing in: a stranger guessing at the sign-in form cannot lock the owner
out of changing their own password, and a borrowed signed-in browser gets no more
guesses than anyone else. A right password resets the count.

The account comes back as it was read for the check; whoever acts on it must still lock
the row and see the same hash (``repository.lock_unchanged``), or a reset that committed
meanwhile would be undone.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.auth import repository
from app.auth.types import Throttled, WrongCredentials
from app.db.database import Database
from app.db.models import User
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims
from app.shared.throttle import Throttle

__all__ = ["PasswordConfirmation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordConfirmation:
    db: Database
    passwords: PasswordService
    throttle: Throttle  # wrong current passwords, per session

    async def confirm(
        self, user: TokenClaims, password: str, now: int
    ) -> User | Throttled | WrongCredentials:
        """The signed-in user's account if ``password`` is its password now."""
        if wait := await self.throttle.attempt(user.session_id, now):
            return Throttled(wait)
        async with self.db.read() as db:
            account = await repository.find_user(db, user.user_id)
        ok, _ = await self.passwords.verify(account.password_hash if account else None, password)
        if account is None or account.id is None or not ok:
            return WrongCredentials()
        await self.throttle.reset(user.session_id)
        return account
