"""What the person owns of their account (deletion, their data, new-device alerts), and
the operator's commands."""

from __future__ import annotations

from typing import NamedTuple

from app.auth.confirmation import PasswordConfirmation
from app.auth.deletion import AccountDeletion
from app.auth.export import AccountExport
from app.auth.new_device import NewDeviceAlerts
from app.auth.operators import Operators
from app.auth.session_store import SessionEnder
from app.clock import Clock
from app.config import Settings
from app.db.database import Database
from app.wiring.mail import Mail

__all__ = ["People", "people"]


class People(NamedTuple):
    """What the person owns of their account (deletion, export, alerts), and the operator."""

    alerts: NewDeviceAlerts
    deletion: AccountDeletion
    export: AccountExport
    operators: Operators


def people(
    settings: Settings,
    db: Database,
    clock: Clock,
    ender: SessionEnder,
    *,
    confirmation: PasswordConfirmation,
    mail: Mail,
) -> People:
    notices = mail.notices
    deletion = AccountDeletion(
        db=db, clock=clock, ender=ender, confirmation=confirmation, notices=notices
    )
    alerts = NewDeviceAlerts(
        db=db,
        clock=clock,
        notices=notices,
        messages=mail.messages,
        ender=ender,
        enabled=settings.new_device_alerts,
        ttl=settings.verify_ttl,
    )
    operators = Operators(db=db, clock=clock, ender=ender, notices=notices, deletion=deletion)
    return People(alerts, deletion, AccountExport(db=db, clock=clock), operators)
