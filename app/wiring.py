"""The app's parts, built once from the settings and connected: what ``create_app`` serves.

Nothing here knows about HTTP; :mod:`app.main` puts a Litestar app around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

from app.auth.account import AccountService
from app.auth.authenticate import Authenticator, TokenIssuer
from app.auth.channels import create_channel
from app.auth.ending import SessionEnder
from app.auth.lifetimes import Policy
from app.auth.maintenance import Purger
from app.auth.revocations import Revocations
from app.auth.signin import SignIn, Throttles
from app.auth.throttle import Counter, RedisCounter, SqlCounter, Throttle
from app.clock import Clock, TestClock
from app.config import Settings
from app.db import migrate
from app.db.database import Database
from app.db.engine import create_engine
from app.db.shared_clock import ClockControl, LocalClockControl, SharedClock
from app.security.keys import load_or_create_keyset, load_or_create_secret, parse_keyset
from app.security.passwords import PasswordService
from app.security.rotation import SecretDeriver
from app.security.tokens import TokenCodec

__all__ = ["Core", "build_core", "policy_of"]

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
    purger: Purger
    shared_clock: SharedClock | None  # the deployment's test clock
    clock_control: ClockControl | None  # what /_test/clock drives (test clock only)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The schema at head, the denylist mirror loaded, the background jobs running."""
        await migrate.ensure_current(self.db.engine, auto_migrate=self.settings.auto_migrate)
        if self.shared_clock is not None:
            await self.shared_clock.start()
        await self.revocations.catch_up()
        jobs: list[Coroutine[Any, Any, None]] = [self.revocations.run()]
        if self.settings.purge_interval:
            jobs.append(self.purger.run_every(self.settings.purge_interval))
        if self.shared_clock is not None:
            jobs.append(self.shared_clock.run())
        tasks = [asyncio.create_task(job) for job in jobs]
        log.info("ready", process=os.getpid(), database=self.db.dialect)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for part in (self.counter, self.revocations.channel):
                close = getattr(part, "close", None)
                if close is not None:
                    await close()
            await self.db.dispose()


def policy_of(settings: Settings) -> Policy:
    return Policy(
        access_ttl=settings.access_ttl,
        token_ttl=settings.token_ttl,
        session_ttl=settings.session_ttl,
        session_max_age=settings.session_max_age,
        rotation_grace=settings.rotation_grace,
    )


def build_core(settings: Settings, clock: Clock, *, deployment_clock: bool) -> Core:
    keys = (
        parse_keyset(settings.keys.get_secret_value())
        if settings.keys is not None
        else load_or_create_keyset(settings.resolved_keys_file, clock.now())
    )
    csrf_secret = (
        settings.csrf_secret.get_secret_value()
        if settings.csrf_secret is not None
        else load_or_create_secret(settings.data_dir / "csrf.key")
    )
    _warn_about_secrets(settings)
    db = Database(
        create_engine(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
    )
    revocations = Revocations(
        db,
        clock,
        ttl=settings.token_ttl,
        poll=settings.revocation_poll,
        max_lag=settings.revocation_max_lag,
        channel=create_channel(settings.resolved_database_url, settings.revocation_store),
    )
    counter: Counter = (
        RedisCounter(settings.revocation_store) if settings.uses_redis else SqlCounter(db)
    )
    throttles = Throttles(
        account=Throttle(
            counter, name="account", limit=settings.login_max_failures, window=settings.login_window
        ),
        client=Throttle(
            counter, name="client", limit=settings.ip_max_attempts, window=settings.ip_window
        ),
    )
    passwords = PasswordService(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
        concurrency=settings.hash_concurrency,
    )
    policy = policy_of(settings)
    codec = TokenCodec(keys)
    ender = SessionEnder(revocations)
    shared_clock = (
        SharedClock(db, clock) if deployment_clock and isinstance(clock, TestClock) else None
    )
    control: ClockControl | None = shared_clock
    if control is None and settings.test_clock and isinstance(clock, TestClock):
        control = LocalClockControl(clock)
    return Core(
        settings=settings,
        clock=clock,
        db=db,
        csrf_secret=csrf_secret,
        revocations=revocations,
        counter=counter,
        authenticator=Authenticator(
            db=db,
            clock=clock,
            codec=codec,
            policy=policy,
            revocations=revocations,
            deriver=SecretDeriver(keys),
            ender=ender,
            token_cache_size=settings.token_cache_size,
        ),
        sign_in=SignIn(
            db=db,
            clock=clock,
            issuer=TokenIssuer(codec),
            passwords=passwords,
            policy=policy,
            throttles=throttles,
            ender=ender,
        ),
        account=AccountService(
            db=db, clock=clock, passwords=passwords, ender=ender, throttle=throttles.account
        ),
        purger=Purger(
            db=db,
            clock=clock,
            event_retention=settings.event_retention,
            throttle_window=max(settings.login_window, settings.ip_window),
        ),
        shared_clock=shared_clock,
        clock_control=control,
    )


def _warn_about_secrets(settings: Settings) -> None:
    """Several hosts must share the token keys and the CSRF secret; a file is one host's."""
    if settings.is_sqlite:
        return
    local = [
        name
        for name, value in (("APP_KEYS", settings.keys), ("APP_CSRF_SECRET", settings.csrf_secret))
        if value is None
    ]
    if local:
        log.warning(
            "secrets_from_local_files",
            from_files=",".join(local),
            advice="hosts behind one load balancer must share APP_KEYS and APP_CSRF_SECRET",
        )
