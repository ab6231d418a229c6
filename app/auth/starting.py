"""Starting a session: the row (only its secret's hash is stored) and the token claims
that carry the secret. Registration, sign-in and a password change start one; ending one
is ``ending.py``'s."""

from __future__ import annotations

import secrets

from app.auth import repository
from app.auth.lifetimes import Policy, mint, session_expiry
from app.auth.refresh import hash_secret
from app.auth.types import ClientInfo
from app.db.database import Tx
from app.db.models import Session, User
from app.security.rotation import new_secret
from app.security.tokens import TokenClaims

__all__ = ["start_session"]


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
