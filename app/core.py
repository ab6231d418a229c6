"""The app's parts as one object, and their life: what runs while the app serves.

:func:`app.wiring.build_core` builds a :class:`Core` from the settings; every field is a
dependency route handlers can ask for by its name (:func:`app.web.deps.dependencies`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

from app.auth.account import AccountService
from app.auth.authenticate import Authenticator
from app.auth.deletion import AccountDeletion
from app.auth.email_change import EmailChange
from app.auth.export import AccountExport
from app.auth.maintenance import Purger
from app.auth.new_device import NewDeviceAlerts
from app.auth.operators import Operators
from app.auth.passkeys import Passkeys
from app.auth.reauth import Reauthentication
from app.auth.recovery import Recovery
from app.auth.revocations import Revocations
from app.auth.second_factors import SecondFactors
from app.auth.sign_in import SignIn
from app.auth.verification import Verification
from app.clock import Clock
from app.config import Settings
from app.db import migrate
from app.db.database import Database
from app.db.shared_clock import ClockControl, SharedClock
from app.mail.outbox import Outbox
from app.security.cookies import AppCookies
from app.security.password_policy import PasswordPolicy
from app.security.passwords import PasswordService
from app.security.strength import StrengthEstimator
from app.shared.throttle import Counter, Throttle

__all__ = ["Core"]

SHUTDOWN_GRACE = 5.0  # seconds background jobs get to stop

log = structlog.get_logger("app")


@dataclass(frozen=True, slots=True)
class Core:
    settings: Settings
    clock: Clock
    db: Database
    csrf_secret: str
    revocations: Revocations
    counter: Counter
    authenticator: Authenticator
    sign_in: SignIn
    account: AccountService
    recovery: Recovery
    verification: Verification
    alerts: NewDeviceAlerts
    deletion: AccountDeletion
    export: AccountExport
    operators: Operators
    email_change: EmailChange
    second_factors: SecondFactors
    passkeys: Passkeys
    reauth: Reauthentication
    outbox: Outbox
    passwords: PasswordService
    password_policy: PasswordPolicy
    estimator: StrengthEstimator
    strength_throttle: Throttle  # live strength hints per client address
    purger: Purger
    app_cookies: AppCookies
    shared_clock: SharedClock | None  # the deployment's test clock
    clock_control: ClockControl | None  # what /_test/clock drives (test clock only)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The schema at head, the denylist mirror loaded, the background jobs running."""
        await migrate.ensure_current(self.db.engine, auto_migrate=self.settings.auto_migrate)
        if self.shared_clock is not None:
            await self.shared_clock.start()
        await self.revocations.catch_up()
        await self.estimator.warm_up()
        jobs: list[Coroutine[Any, Any, None]] = [self.revocations.run(), self.outbox.run()]
        if self.settings.purge_interval:
            jobs.append(self.purger.run_every(self.settings.purge_interval))
        if self.shared_clock is not None:
            jobs.append(self.shared_clock.run())
        tasks = [asyncio.create_task(job) for job in jobs]
        # Everything built at start-up lives as long as the process: moved out of the
        # collector's sight, a full collection no longer walks ~100k objects (a 40 ms
        # pause some request would pay). Undone at shutdown, so nothing stays frozen.
        if self.settings.gc_freeze:
            gc.collect()
            gc.freeze()
        log.info("ready", process=os.getpid(), database=self.db.dialect)
        try:
            yield
        finally:
            if self.settings.gc_freeze:
                gc.unfreeze()
            for task in tasks:
                task.cancel()
            # A job stuck in a library that swallows cancellation (an SMTP server that
            # never answers) must not keep the process from stopping.
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
            if stuck:
                log.warning("background_jobs_not_stopped", jobs=len(stuck))
            for part in (self.counter, self.revocations.channel):
                close = getattr(part, "close", None)
                if close is not None:
                    await close()
            await self.db.dispose()
