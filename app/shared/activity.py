"""The activity log: the kinds of events, and the one function that writes a row."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Table, insert
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import AuthEvent
from app.shared.clients import ClientInfo

__all__ = ["EventKind", "record_event"]


class EventKind(StrEnum):
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT = "signed_out"
    ROTATED = "rotated"
    REUSE_DETECTED = "reuse_detected"
    SESSION_REVOKED = "session_revoked"
    PASSWORD_CHANGED = "password_changed"
    REGISTERED = "registered"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFIED = "email_verified"
    EMAIL_CHANGE_REQUESTED = "email_change_asked"
    EMAIL_CHANGED = "email_changed"
    MAIL_FAILED = "mail_failed"
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    RECOVERY_CODES_MADE = "recovery_codes_made"
    RECOVERY_CODE_USED = "recovery_code_used"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    REAUTHENTICATED = "reauthenticated"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    REPORTED_NOT_ME = "reported_not_me"
    # What an operator did (``python -m app users ...``), one entry per command.
    OPERATOR_SHOW = "operator_show"
    OPERATOR_SIGN_OUT = "operator_sign_out"
    OPERATOR_DISABLE = "operator_disable"
    OPERATOR_ENABLE = "operator_enable"


# A Core INSERT, built once: nothing uses the row as an object, so the ORM's unit of work
# (an instance, its identity-map entry, a flush) is pure cost; on a rotation that flush
# cost more than the UPDATE (bench/profile.py). SQLModel leaves __table__ undeclared.
_TABLE: Table = AuthEvent.__table__  # type: ignore[attr-defined]
_INSERT = insert(_TABLE)


async def record_event(
    db: AsyncSession,
    kind: EventKind,
    now: int,
    client: ClientInfo,
    *,
    user_id: int | None,
    session_id: str | None,
) -> None:
    """One row of the activity log, in the caller's transaction. Never a secret."""
    await db.exec(
        _INSERT,
        params={
            "created_at": now,
            "user_id": user_id,
            "session_public_id": session_id,
            "kind": kind.value,
            "client_addr": client.address[:64],
            "user_agent": client.user_agent[:512],
        },
    )
