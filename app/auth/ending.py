"""Ending sessions - logout, revoking one or the others, a password change, detected reuse:
one operation, used by all of them.

The row deletions, the revocations (the denylist's source of truth) and the activity
log are written in the caller's transaction; every process's denylist hears of the
revocations once it has committed (:mod:`app.auth.revocations`).
"""

from __future__ import annotations

from collections.abc import Collection

from app.auth import repository
from app.auth.events import EventKind, record_event
from app.auth.revocations import Revocations
from app.auth.types import ClientInfo
from app.db.database import Tx
from app.security.tokens import TokenClaims

__all__ = ["SessionEnder"]


class SessionEnder:
    def __init__(self, revocations: Revocations) -> None:
        self._revocations = revocations

    async def end(
        self,
        tx: Tx,
        *,
        user_id: int,
        kind: EventKind,
        now: int,
        client: ClientInfo,
        only: Collection[str] | None = None,
        keep: str | None = None,
        token_session: str | None = None,
    ) -> list[str]:
        """End the user's sessions (``only`` these, all but ``keep``, or all): their tokens
        stop working at once, on every worker. ``token_session`` is the session of a token
        the caller verified (logout, reuse): revoked even when its row is already gone.
        Returns the public ids ended."""
        ended = await repository.delete_sessions(tx.session, user_id=user_id, only=only, keep=keep)
        if token_session is not None and token_session not in ended:
            ended.append(token_session)
        await self._revocations.record(tx, ended, now)
        for public_id in ended:
            await record_event(tx.session, kind, now, client, user_id=user_id, session_id=public_id)
        return ended

    async def end_this(
        self, tx: Tx, claims: TokenClaims, *, kind: EventKind, now: int, client: ClientInfo
    ) -> list[str]:
        """End the session of a token the caller verified (logout, signing in again,
        detected reuse), even when its row is already gone."""
        return await self.end(
            tx,
            user_id=claims.user_id,
            only=[claims.session_id],
            token_session=claims.session_id,
            kind=kind,
            now=now,
            client=client,
        )
