"""The links sent by mail: a reset, an address check, an address change, the "not me" of
a new-device alert.

A token is 256 bits from the CSPRNG; only its SHA-256 is stored. It works once
(consuming it is one conditional UPDATE), for one purpose, until ``expires_at`` (inside
while ``now < expires_at``), and only while nothing has killed it:

- a newer link of the same purpose for the same account replaces the older ones;
- a password reset, a password change and a confirmed address change void every unused
  link of the account, whatever its purpose (:func:`void_all`, in their transaction);
- a reset or verification link vouches for the address it was mailed to, so it works
  only while that is still the account's address (``ADDRESS_BOUND``);
- no link works for an account an operator disabled.

:func:`usable` is the rule, as a pure function; :func:`open_link` and :func:`consume`
are the one way the link flows read a link and its account.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import EmailToken, User
from app.shared.addresses import email_key

__all__ = [
    "ADDRESS_BOUND",
    "Link",
    "Purpose",
    "consume",
    "issue",
    "new_token",
    "open_link",
    "purge",
    "token_hash",
    "usable",
    "void_all",
]

MAX_TOKEN_LENGTH = 128  # what a link may carry; anything longer is not ours


class Purpose(StrEnum):
    RESET = "reset"
    VERIFY = "verify"
    CHANGE = "change"
    NOT_ME = "not_me"


# Links that speak for the address they were mailed to: dead once the account's address
# is another (an address change link is mailed to the address it would move to).
ADDRESS_BOUND = frozenset({Purpose.RESET, Purpose.VERIFY})


class Link(NamedTuple):
    """A link that works, and the account it is for."""

    row: EmailToken
    user: User
    user_id: int


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def usable(row: EmailToken | None, purpose: Purpose, now: int, account: str | None) -> bool:
    """``account``: the address the link's account has now (None: no account)."""
    return (
        row is not None
        and account is not None
        and row.purpose == purpose.value
        and row.used_at is None
        and now < row.expires_at
        and (purpose not in ADDRESS_BOUND or email_key(row.address) == email_key(account))
    )


async def issue(
    db: AsyncSession,
    *,
    user_id: int,
    purpose: Purpose,
    address: str,
    now: int,
    ttl: int,
    replace: bool = True,
) -> str:
    """A new token for this account and purpose; the older unused ones stop working
    unless ``replace`` is False (each "not me" link speaks for its own sign-in)."""
    if replace:
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


async def open_link(db: AsyncSession, token: str, purpose: Purpose, now: int) -> Link | None:
    """The link and its account if the link works now; None if it does not (unknown,
    used, voided, expired, another purpose, or mailed to an address the account no
    longer has): every such case answers the same."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    result = await db.exec(
        select(EmailToken, User)
        .join(User, col(User.id) == col(EmailToken.user_id))
        .where(EmailToken.token_hash == token_hash(token))
    )
    found = result.first()
    if found is None:
        return None
    row, user = found
    if user.id is None or user.disabled_at is not None:
        return None
    if not usable(row, purpose, now, user.email):
        return None
    return Link(row, user, user.id)


async def consume(db: AsyncSession, token: str, purpose: Purpose, now: int) -> Link | None:
    """Use the link up, in the caller's transaction: the link and its account if this
    call used it, else None (see :func:`open_link`)."""
    opened = await open_link(db, token, purpose, now)
    if opened is None:
        return None
    result = await db.exec(
        update(EmailToken)
        .where(col(EmailToken.id) == opened.row.id, col(EmailToken.used_at).is_(None))
        .values(used_at=now)
    )
    return opened if result.rowcount == 1 else None


async def void_all(db: AsyncSession, user_id: int) -> int:
    """Every link mailed for the account and not used yet stops working, whatever its
    purpose: called in the transaction of each change that must kill them."""
    result = await db.exec(
        delete(EmailToken).where(
            col(EmailToken.user_id) == user_id, col(EmailToken.used_at).is_(None)
        )
    )
    return int(result.rowcount or 0)


async def purge(db: AsyncSession, now: int) -> int:
    """Links that can never work again: used, or past their end."""
    result = await db.exec(
        delete(EmailToken).where(
            col(EmailToken.used_at).is_not(None) | (col(EmailToken.expires_at) <= now)
        )
    )
    return int(result.rowcount or 0)
