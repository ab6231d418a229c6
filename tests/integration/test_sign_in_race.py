"""A sign-in in flight never outlives a reset (issue 16, finding 2).

The red team signed in with the old password from four threads during a reset and kept
2-4 sessions in every trial: the password was checked against a hash read before the
reset, and the session written after it. Here the interleaving is driven, not hoped
for: the sign-in's password check finishes, then waits while a reset (or a password
change) commits, then goes on. The sign-in must end as a wrong password, with no
session. On the code before the fix it became a session that the reset never ended.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator

import pytest

from app.auth.types import IssuedToken, SignedIn, WrongCredentials
from app.clock import TestClock
from app.config import Settings
from app.core import Core
from app.security.passwords import PasswordService
from app.shared.clients import ClientInfo
from app.wiring import build_core
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.settings import PASSWORD

NEW_PASSWORD = "a brand new passphrase 42"
BROWSER = ClientInfo(user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", ip="192.0.2.1")


@dataclasses.dataclass
class PausedAfterTheCheck:
    """The real password service; a verification, once done, waits to be let go."""

    real: PasswordService
    checked: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    go_on: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, str | None]:
        result = await self.real.verify(stored, password)
        self.checked.set()
        await self.go_on.wait()
        return result


@pytest.fixture
async def core(settings: Settings, clock: TestClock) -> AsyncIterator[Core]:
    built = build_core(settings, clock, deployment_clock=False)
    async with built.running():
        yield built


async def _reset_link_token(core: Core, db: Database) -> str:
    await core.recovery.request_reset(ALICE)
    await core.outbox.work()  # the sender prepares the link (no SMTP here: it stays queued)
    body = db.rows("SELECT body_text FROM outbox WHERE kind = 'reset'")[0][0]
    found = re.search(r"token=([\w-]+)", body)
    assert found, body
    return found[1]


@pytest.mark.parametrize("change", ["reset", "password change"])
async def test_a_sign_in_checked_before_a_reset_never_becomes_a_session(
    core: Core, settings: Settings, change: str
) -> None:
    db = Database.of(settings)
    registered = await core.sign_in.register(ALICE, PASSWORD, BROWSER, current=None)
    assert isinstance(registered, SignedIn)
    paused = PausedAfterTheCheck(core.passwords)
    racing = dataclasses.replace(core.sign_in, passwords=paused)
    sign_in = asyncio.create_task(
        racing.login(ALICE, PASSWORD, BROWSER, device_cookie=None, current=None)
    )
    await asyncio.wait_for(paused.checked.wait(), 10)  # the old password was right ...
    if change == "reset":
        token = await _reset_link_token(core, db)
        assert await core.recovery.reset(token, NEW_PASSWORD, BROWSER, current=None)
    else:
        changed = await core.account.change_password(
            registered.issued.claims, PASSWORD, NEW_PASSWORD, BROWSER
        )
        assert isinstance(changed, IssuedToken)
    paused.go_on.set()  # ... and only now does the sign-in go on
    assert await asyncio.wait_for(sign_in, 10) == WrongCredentials()  # as a wrong password
    kept = 0 if change == "reset" else 1  # a password change signs its own browser in anew
    assert db.count("sessions") == kept
    kinds = [kind for (kind,) in db.rows("SELECT kind FROM auth_events ORDER BY id")]
    assert kinds[-1] == "sign_in_failed"
    assert "signed_in" not in kinds


async def test_a_sign_in_checked_after_the_reset_with_the_new_password_works(
    core: Core, settings: Settings
) -> None:
    """The guard is the password's identity, not a lock-out: the new password signs in."""
    db = Database.of(settings)
    assert isinstance(await core.sign_in.register(ALICE, PASSWORD, BROWSER, current=None), SignedIn)
    token = await _reset_link_token(core, db)
    assert await core.recovery.reset(token, NEW_PASSWORD, BROWSER, current=None)
    signed_in = await core.sign_in.login(
        ALICE, NEW_PASSWORD, BROWSER, device_cookie=None, current=None
    )
    assert isinstance(signed_in, SignedIn)
    assert db.count("sessions") == 1
