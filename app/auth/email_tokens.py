"""The links sent by mail: a reset, an address check, an address change.

A token is 256 bits from the CSPRNG; only its SHA-256 is stored. It works once
(consuming it is one conditional UPDATE), for one purpose, until ``expires_at`` (inside
while ``now < expires_at``), and a newer link of the same purpose for the same account
replaces the older ones. :func:`usable` is the rule, as a pure function.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import EmailToken

__all__ = ["Purpose", "consume", "find", "issue", "new_token", "token_hash", "usable"]

MAX_TOKEN_LENGTH = 128  # what a link may carry; anything longer is not ours


class Purpose(StrEnum):
    RESET = "reset"
    VERIFY = "verify"
    CHANGE = "change"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def usable(row: EmailToken | None, purpose: Purpose, now: int) -> bool:
    return (
        row is not None
        and row.purpose == purpose.value
        and row.used_at is None
        and now < row.expires_at
    )


async def issue(
    db: AsyncSession, *, user_id: int, purpose: Purpose, address: str, now: int, ttl: int
) -> str:
    """A new token for this account and purpose; the older unused ones stop working."""
    await db.exec(
        delete(EmailToken).where(
            col(EmailToken.user_id) == user_id,
            col(EmailToken.purpose) == purpose.value,
            col(EmailToken.used_at).is_(None),
        )
    )
    token = new_token()
    db.add(
        EmailToken(
            token_hash=token_hash(token),
            user_id=user_id,
            purpose=purpose.value,
            address=address,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await db.flush()
    return token


async def find(db: AsyncSession, token: str) -> EmailToken | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    result = await db.exec(select(EmailToken).where(EmailToken.token_hash == token_hash(token)))
    return result.first()


async def consume(db: AsyncSession, token: str, purpose: Purpose, now: int) -> EmailToken | None:
    """Use the token up, in the caller's transaction: the row if this call did, else None
    (unknown, already used, expired, or another purpose)."""
    row = await find(db, token)
    if not usable(row, purpose, now) or row is None:
        return None
    result = await db.exec(
        update(EmailToken)
        .where(col(EmailToken.id) == row.id, col(EmailToken.used_at).is_(None))
        .values(used_at=now)
    )
    return row if result.rowcount == 1 else None


async def purge(db: AsyncSession, now: int) -> int:
    """Links that can never work again (used or expired) are forgotten a day later."""
    result = await db.exec(
        delete(EmailToken).where(
            (col(EmailToken.expires_at) < now - 86400) | col(EmailToken.used_at).is_not(None)
        )
    )
    return int(result.rowcount or 0)
