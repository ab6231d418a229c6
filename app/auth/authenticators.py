"""SQL for the ``authenticators`` table (an account's ways to prove who it is besides its
password), and nothing else. Callers own the transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Authenticator

__all__ = [
    "Kind",
    "Method",
    "add",
    "all_of",
    "data_of",
    "locked",
    "methods_of",
    "remove",
    "set_data",
    "slot",
]


class Kind(StrEnum):
    TOTP_SETUP = "totp-setup"  # an authenticator app being set up (no code confirmed yet)
    TOTP = "totp"  # the authenticator app, on
    RECOVERY_CODES = "recovery-codes"
    PASSKEY = "passkey"


_SLOT_OF = {Kind.TOTP_SETUP: "totp", Kind.TOTP: "totp", Kind.RECOVERY_CODES: "recovery-codes"}


def slot(kind: Kind, user_id: int) -> str:
    """What an account-wide authenticator occupies: one app (set up or on), one set of
    recovery codes."""
    return f"{_SLOT_OF[kind]}:{user_id}"


def data_of(row: Authenticator) -> dict[str, Any]:
    value = json.loads(row.data)
    if not isinstance(value, dict):
        raise TypeError("an authenticator's data is a JSON object")
    return value


def set_data(row: Authenticator, data: dict[str, Any]) -> None:
    row.data = json.dumps(data, separators=(",", ":"))


async def all_of(db: AsyncSession, user_id: int) -> list[Authenticator]:
    result = await db.exec(
        select(Authenticator)
        .where(col(Authenticator.user_id) == user_id)
        .order_by(col(Authenticator.id))
    )
    return list(result.all())


async def locked(db: AsyncSession, user_id: int, kind: Kind) -> Authenticator | None:
    """The account's app or recovery codes, locked until the transaction ends (``FOR
    UPDATE`` on PostgreSQL; SQLite's write transaction holds the one write lock): two
    sign-ins with one code, or two tabs turning the app on, are one after the other."""
    result = await db.exec(
        select(Authenticator)
        .where(col(Authenticator.slot) == slot(kind, user_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = result.first()
    return row if row is not None and row.kind == kind else None


async def add(
    db: AsyncSession, user_id: int, kind: Kind, data: dict[str, Any], now: int, *, slot_key: str
) -> Authenticator:
    row = Authenticator(user_id=user_id, kind=kind.value, slot=slot_key, data="", created_at=now)
    set_data(row, data)
    db.add(row)
    await db.flush()
    return row


async def remove(db: AsyncSession, user_id: int, *kinds: Kind) -> None:
    await db.exec(
        delete(Authenticator).where(
            col(Authenticator.user_id) == user_id,
            col(Authenticator.kind).in_([k.value for k in kinds]),
        )
    )


@dataclass(frozen=True, slots=True)
class Method:
    """One way the account can be signed in to, as its owner or an operator may see it:
    names, counts and dates, never a secret."""

    name: str  # "password", "authenticator app", "recovery codes", "passkey"
    added_at: int | None = None
    last_used_at: int | None = None
    label: str | None = None  # a passkey's name
    unused: int | None = None  # recovery codes left

    def describe(self) -> str:
        if self.label is not None:
            return f'{self.name} "{self.label}"'
        if self.unused is not None:
            return f"{self.name} ({self.unused} unused)"
        return self.name


async def methods_of(db: AsyncSession, user_id: int) -> list[Method]:
    methods = [Method("password")]
    for row in await all_of(db, user_id):
        data = data_of(row)
        if row.kind == Kind.TOTP:
            methods.append(Method("authenticator app", row.created_at, row.last_used_at))
        elif row.kind == Kind.RECOVERY_CODES:
            methods.append(
                Method(
                    "recovery codes", row.created_at, row.last_used_at, unused=len(data["unused"])
                )
            )
        elif row.kind == Kind.PASSKEY:
            label = str(data.get("name", "Passkey"))
            methods.append(Method("passkey", row.created_at, row.last_used_at, label=label))
    return methods
