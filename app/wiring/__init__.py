"""The one place the object graph is written: :func:`build_core` calls every constructor,
once, from the settings. Adding a service is a field of :class:`app.core.Core` and its
constructor call here, or in the module of this package that builds its group (the mail
parts, the sign-in throttles, the second factors, what the person owns of their account).
Nothing here knows about HTTP; :mod:`app.main` wraps it.
"""

from __future__ import annotations

from app.auth.account import AccountService
from app.auth.authenticate import Authenticator, TokenIssuer
from app.auth.channels import create_channel
from app.auth.confirmation import PasswordConfirmation
from app.auth.email_change import EmailChange
from app.auth.lifetimes import Policy
from app.auth.maintenance import Purger
from app.auth.reauth import Reauthentication
from app.auth.recovery import Recovery
from app.auth.revocations import Revocations
from app.auth.session_store import SessionEnder
from app.auth.sign_in import SignIn
from app.auth.verification import Verification
from app.clock import Clock, TestClock
from app.config import Settings
from app.core import Core
from app.db.database import Database
from app.db.engine import create_engine
from app.db.shared_clock import ClockControl, LocalClockControl, SharedClock
from app.mail.messages import MailKind
from app.security.cookies import AppCookies
from app.security.devices import DeviceCookies
from app.security.keys import deployment_secrets
from app.security.password_policy import PasswordPolicy
from app.security.passwords import PasswordService
from app.security.rotation import SecretDeriver
from app.security.strength import StrengthEstimator
from app.security.tokens import TokenCodec
from app.shared.throttle import Counter, RedisCounter, SqlCounter, Throttle
from app.wiring.factors import second_factors_of
from app.wiring.mail import mail_parts
from app.wiring.people import people
from app.wiring.throttles import STRENGTH_LIMIT, sign_in_throttles

__all__ = ["STRENGTH_LIMIT", "build_core", "policy_of"]


def policy_of(settings: Settings) -> Policy:
    return Policy(
        access_ttl=settings.access_ttl,
        token_ttl=settings.token_ttl,
        session_ttl=settings.session_ttl,
        session_max_age=settings.session_max_age,
        rotation_grace=settings.rotation_grace,
    )


def build_core(settings: Settings, clock: Clock, *, deployment_clock: bool) -> Core:
    keys, csrf_secret = deployment_secrets(settings, clock.now())
    db = Database(
        create_engine(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            timeout=settings.db_timeout,
        ),
        timeout=settings.db_timeout,
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
    passwords = PasswordService(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
        concurrency=settings.hash_concurrency,
    )
    policy = policy_of(settings)
    codec = TokenCodec(keys)
    issuer = TokenIssuer(codec)
    estimator = StrengthEstimator()
    ender = SessionEnder(revocations)
    mail = mail_parts(settings, db, clock, counter)
    per_session = Throttle(
        counter, name="password", limit=settings.login_max_failures, window=settings.login_window
    )
    confirmation = PasswordConfirmation(db=db, passwords=passwords, throttle=per_session)
    verification = Verification(
        db=db,
        clock=clock,
        outbox=mail.outbox,
        messages=mail.messages,
        limits=mail.limits,
        issuer=issuer,
        verify_ttl=settings.verify_ttl,
    )
    recovery = Recovery(
        db=db,
        clock=clock,
        outbox=mail.outbox,
        messages=mail.messages,
        notices=mail.notices,
        passwords=passwords,
        ender=ender,
        limits=mail.limits,
        reset_ttl=settings.reset_ttl,
    )
    factors = second_factors_of(settings, db, clock, keys, mail.notices)
    # A reset request is resolved in the mail sender (the same answer for any address).
    mail.outbox.prepare_with(MailKind.RESET, recovery.prepare_reset)
    shared_clock = (
        SharedClock(db, clock) if deployment_clock and isinstance(clock, TestClock) else None
    )
    control: ClockControl | None = shared_clock
    if control is None and settings.test_clock and isinstance(clock, TestClock):
        control = LocalClockControl(clock)
    owned = people(settings, db, clock, ender, confirmation=confirmation, mail=mail)
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
            issuer=issuer,
            policy=policy,
            revocations=revocations,
            deriver=SecretDeriver(keys),
            ender=ender,
            token_cache_size=settings.token_cache_size,
        ),
        sign_in=SignIn(
            db=db,
            clock=clock,
            issuer=issuer,
            passwords=passwords,
            policy=policy,
            throttles=sign_in_throttles(settings, counter),
            ender=ender,
            devices=DeviceCookies(keys),
            verification=verification,
            factors=factors.second_factors,
            passkeys=factors.passkeys,
            pending=factors.pending,
            alerts=owned.alerts,
        ),
        account=AccountService(
            db=db,
            clock=clock,
            passwords=passwords,
            ender=ender,
            confirmation=confirmation,
            policy=policy,
            issuer=issuer,
            notices=mail.notices,
        ),
        recovery=recovery,
        verification=verification,
        second_factors=factors.second_factors,
        passkeys=factors.passkeys,
        reauth=Reauthentication(
            db=db,
            clock=clock,
            confirmation=confirmation,
            issuer=issuer,
            passkeys=factors.passkeys,
            ttl=settings.reauth_ttl,
        ),
        alerts=owned.alerts,
        deletion=owned.deletion,
        export=owned.export,
        operators=owned.operators,
        email_change=EmailChange(
            db=db,
            clock=clock,
            outbox=mail.outbox,
            messages=mail.messages,
            ender=ender,
            limits=mail.limits,
            confirmation=confirmation,
            changes=Throttle(
                counter,
                name="email-change",
                limit=settings.mail_max_per_address,
                window=settings.mail_window,
            ),
            notices=mail.notices,
            issuer=issuer,
            verify_ttl=settings.verify_ttl,
        ),
        outbox=mail.outbox,
        passwords=passwords,
        password_policy=PasswordPolicy(
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
            estimator=estimator,
        ),
        estimator=estimator,
        strength_throttle=Throttle(counter, name="strength", limit=STRENGTH_LIMIT, window=60),
        purger=Purger(
            db=db,
            clock=clock,
            event_retention=settings.event_retention,
            throttle_window=max(settings.login_window, settings.ip_window, settings.mail_window),
            mail_window=settings.mail_window,
        ),
        app_cookies=AppCookies.of(secure=settings.cookie_secure),
        shared_clock=shared_clock,
        clock_control=control,
    )
