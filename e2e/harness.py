"""What the browser tests stand on: a real server process, its clock, its database.

- :class:`~tests.support.live.LiveServer` runs ``python -m app serve`` with the test clock
  on and a data directory of its own, logs to a file, and waits for ``/healthz``.
- :class:`~tests.support.live.ServerClock` moves the deployment's time through
  ``/_test/clock`` (the only way time passes here: nothing sleeps to wait out an expiry).
- :class:`AppDatabase` reads and edits the server's database, as an operator would.

One server serves the whole session and its clock only moves forward, so every test
registers its own user (:func:`new_credentials`) and reasons in relative advances.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import BrowserContext

from tests.support.database import Database
from tests.support.live import LiveServer, ServerClock

__all__ = [
    "AUTH_COOKIE",
    "PASSWORD",
    "AppDatabase",
    "Credentials",
    "LiveServer",
    "ServerClock",
    "auth_cookie",
    "new_credentials",
]

AUTH_COOKIE = "auth"  # the cookie's name when APP_COOKIE_SECURE=false (no __Host- prefix)
PASSWORD = "quiet lantern orbit meadow 42"


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str = PASSWORD


def new_credentials() -> Credentials:
    """A user nobody else in this run has: the server and its database live all session."""
    return Credentials(email=f"e2e-{uuid.uuid4().hex[:12]}@example.com")


def auth_cookie(context: BrowserContext) -> dict[str, Any] | None:
    """The auth cookie the browser holds (what it will send), or None."""
    for cookie in context.cookies():
        if cookie.get("name") == AUTH_COOKIE:
            return dict(cookie)
    return None


class AppDatabase:
    """The server's database (SQLite or PostgreSQL), read and edited behind its back."""

    def __init__(self, url: str) -> None:
        self._db = Database(url)

    def session_secret_hashes(self, email: str) -> list[str]:
        """The stored hashes of the user's session secrets, oldest session first."""
        rows = self._db.rows(
            "SELECT s.secret_hash FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.email = ? ORDER BY s.id",
            email,
        )
        return [row[0] for row in rows]

    def delete_sessions(self, email: str) -> int:
        """Delete every session row of the user; the number deleted."""
        return self._db.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = ?)", email
        )
