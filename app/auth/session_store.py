"""The session store: starting a session (the row, only its secret's hash stored, and
the token claims that carry the secret) and ending sessions - logout, revoking one or
the others, a password change or reset, an address change, detected reuse: one
operation, used by all of them.

The row changes, the revocations (the denylist's source of truth) and the activity log
are written in the caller's transaction; every process's denylist hears of the
revocations once it has committed (:mod:`app.auth.revocations`).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection

from app.auth import repository
from app.auth.lifetimes import Policy, mint, session_expiry
from app.auth.refresh import hash_secret
from app.auth.revocations import Revocations
from app.db.database import Tx
from app.db.models import Session, User
from app.security.rotation import new_secret
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["SessionEnder", "start_session"]


async def start_session(
    tx: Tx, user: User, client: ClientInfo, now: int, *, policy: Policy, amr: tuple[str, ...]
) -> TokenClaims:
    """A new session row for ``user``, proved now with the methods ``amr``; the claims of
    the token that carries its secret."""
    if user.id is None:
        raise ValueError("the user must be saved before a session starts")
    secret = new_secret()
    absolute = now + policy.session_max_age
    row = await repository.add_session(
        tx.session,
        Session(
            public_id=secrets.token_urlsafe(16),
            user_id=user.id,
            secret_hash=hash_secret(secret),
            created_at=now,
            rotated_at=now,
            expires_at=session_expiry(now, absolute, policy),
            absolute_expires_at=absolute,
            user_agent=client.user_agent[:512],
            client_addr=client.address[:64],
            auth_time=now,
            amr=" ".join(amr),
        ),
    )
    return mint(
        user_id=user.id,
        email=user.email,
        session_id=row.public_id,
        secret=secret,
        session_started_at=now,
        session_expires_at=row.expires_at,
        now=now,
        policy=policy,
        auth_time=now,
        amr=amr,
        email_verified=user.email_verified_at is not None,
    )


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
