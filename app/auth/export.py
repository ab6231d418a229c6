"""What is kept about a person, in one document they can take away (GDPR art. 15 and
20): the account, every live session, every activity-log entry still kept. Never a
secret: no password hash, no session secret or its hash, no token, no TOTP secret - each
field is named here, nothing is dumped from a row as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from app.auth import authenticators, repository
from app.clock import Clock, to_iso
from app.db.database import Database
from app.db.models import AuthEvent
from app.security.tokens import TokenClaims
from app.shared.clients import describe_device

__all__ = ["AccountExport"]


def _time(when: int | None) -> str | None:
    return to_iso(when) if when is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountExport:
    db: Database
    clock: Clock

    async def export(self, user: TokenClaims) -> tuple[int, dict[str, Any]] | None:
        """(now, the document); None if the account is gone."""
        now = self.clock.now()
        async with self.db.read() as db:
            account = await repository.find_user(db, user.user_id)
            sessions = await repository.list_live_sessions(db, user.user_id, now)
            methods = await authenticators.methods_of(db, user.user_id)
            events = (
                await db.exec(
                    select(AuthEvent)
                    .where(col(AuthEvent.user_id) == user.user_id)
                    .order_by(col(AuthEvent.created_at), col(AuthEvent.id))
                )
            ).all()
        if account is None:
            return None
        document = {
            "account": {
                "email": account.email,
                "email_verified": account.email_verified_at is not None,
                "email_verified_at": _time(account.email_verified_at),
                "created_at": _time(account.created_at),
            },
            "sign_in_methods": [
                {
                    "method": m.name,
                    "name": m.label,
                    "added": _time(m.added_at),
                    "last_used": _time(m.last_used_at),
                    "unused": m.unused,
                }
                for m in methods
            ],
            "sessions": [
                {
                    "device": describe_device(s.user_agent),
                    "user_agent": s.user_agent,
                    "network": s.client_addr,
                    "signed_in": _time(s.created_at),
                    "last_active": _time(s.rotated_at),
                    "ends_at_the_latest": _time(s.absolute_expires_at),
                    "this_session": s.public_id == user.session_id,
                }
                for s in sessions
            ],
            "activity": [
                {
                    "when": _time(e.created_at),
                    "what": e.kind,
                    "device": describe_device(e.user_agent),
                    "user_agent": e.user_agent,
                    "network": e.client_addr,
                }
                for e in events
            ],
        }
        return now, document
