"""The JSON API: every route here is guarded (on the guarded router, paths under ``/api/``),
so a request that is not signed in gets the guard's ``401 {"error": "not_signed_in"}``
and never reaches a handler. Renewals and rotations set the cookie on a JSON answer as
on a page (the guard's ``before_send`` hook)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import get

from app.web.deps import CurrentUser

__all__ = ["iso", "me"]


def iso(timestamp: int) -> str:
    """A Unix time as ISO 8601 in UTC (``2027-01-15T08:00:00Z``)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@get("/api/me", name="api_me", sync_to_thread=False)
def me(user: CurrentUser) -> dict[str, Any]:
    """Who is signed in, and the session this browser is in (its public id only)."""
    return {
        "id": user.user_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "session": {
            "id": user.session_id,
            "signed_in_at": iso(user.session_started_at),
            "expires_at": iso(user.session_expires_at),
        },
    }
