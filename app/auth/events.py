"""The kinds of events in the activity log, and which of them revoke a session."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["REVOKING", "EventKind"]


class EventKind(StrEnum):
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT = "signed_out"
    ROTATED = "rotated"
    REUSE_DETECTED = "reuse_detected"
    SESSION_REVOKED = "session_revoked"
    PASSWORD_CHANGED = "password_changed"
    REGISTERED = "registered"


# Events after which the named session's outstanding tokens must stop working at once;
# the denylist is rebuilt from these at start-up.
REVOKING = frozenset({EventKind.SIGNED_OUT, EventKind.REUSE_DETECTED, EventKind.SESSION_REVOKED})
