"""The one place the object graph is written: :func:`build_core` calls every constructor,
once, from the settings. Adding a service is a field of :class:`app.core.Core` and its
constructor call here. Nothing here knows about HTTP; :mod:`app.main` wraps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from app.auth.account import AccountService
from app.auth.authenticate import Authenticator, TokenIssuer
from app.auth.channels import create_channel
from app.auth.confirmation import PasswordConfirmation
from app.auth.deletion import AccountDeletion
from app.auth.email_change import EmailChange
from app.auth.export import AccountExport
from app.auth.lifetimes import Policy
from app.auth.maintenance import Purger
from app.auth.new_device import NewDeviceAlerts
from app.auth.notices import Notices
from app.auth.operators import Operators
from app.auth.passkeys import Passkeys
from app.auth.pending import PendingSignIns
from app.auth.reauth import Reauthentication
from app.auth.recovery import Recovery
from app.auth.revocations import Revocations
from app.auth.second_factors import SecondFactors
from app.auth.session_store import SessionEnder
from app.auth.sign_in import SignIn, Throttles
from app.auth.verification import Verification
from app.clock import Clock, TestClock
from app.config import Settings
from app.core import Core
from app.db.database import Database
from app.db.engine import create_engine
from app.db.shared_clock import ClockControl, LocalClockControl, SharedClock
from app.mail.limits import MailLimits
from app.mail.messages import MailKind, Messages
from app.mail.outbox import Outbox
from app.mail.transport import parse_smtp_url
from app.security.cookies import AppCookies
from app.security.devices import DeviceCookies
from app.security.keys import deployment_secrets
from app.security.password_policy import PasswordPolicy
from app.security.passwords import PasswordService
from app.security.rotation import SecretDeriver
from app.security.sealing import Sealer
from app.security.strength import StrengthEstimator
from app.security.tokens import TokenCodec
from app.shared.clients import describe_device
from app.shared.throttle import Counter, RedisCounter, SqlCounter, Throttle

__all__ = ["STRENGTH_LIMIT", "build_core", "policy_of"]

STRENGTH_LIMIT = 60  # live strength hints per client address per minute
CODE_TRIES = 5  # second-step codes per pending sign-in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


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
    mail = _mail(settings, db, clock, counter)
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
    second_factors = SecondFactors(
        db=db,
        clock=clock,
        secrets=Sealer(keys, "totp-secret"),
        codes=Sealer(keys, "recovery-codes-to-show"),
        notices=mail.notices,
    )
    passkeys = Passkeys(
        db=db,
        clock=clock,
        rp_id=settings.resolved_rp_id,
        rp_name=settings.totp_issuer,
        origin=settings.base_origin,
        notices=mail.notices,
        available=settings.passkeys_available,
    )
    # A reset request is resolved in the mail sender (the same answer for any address).
    mail.outbox.prepare_with(MailKind.RESET, recovery.prepare_reset)
    shared_clock = (
        SharedClock(db, clock) if deployment_clock and isinstance(clock, TestClock) else None
    )
    control: ClockControl | None = shared_clock
    if control is None and settings.test_clock and isinstance(clock, TestClock):
        control = LocalClockControl(clock)
    people = _people(settings, db, clock, ender, confirmation=confirmation, mail=mail)
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
            throttles=_sign_in_throttles(settings, counter),
            ender=ender,
            devices=DeviceCookies(keys),
            verification=verification,
            factors=second_factors,
            passkeys=passkeys,
            pending=PendingSignIns(Sealer(keys, "pending-sign-in"), ttl=settings.mfa_challenge_ttl),
            alerts=people.alerts,
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
        second_factors=second_factors,
        passkeys=passkeys,
        reauth=Reauthentication(
            db=db,
            clock=clock,
            confirmation=confirmation,
            issuer=issuer,
            passkeys=passkeys,
            ttl=settings.reauth_ttl,
        ),
        alerts=people.alerts,
        deletion=people.deletion,
        export=people.export,
        operators=people.operators,
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


def _sign_in_throttles(settings: Settings, counter: Counter) -> Throttles:
    failures = {"limit": settings.login_max_failures, "window": settings.login_window}
    return Throttles(
        client=Throttle(
            counter, name="client", limit=settings.ip_max_attempts, window=settings.ip_window
        ),
        account_client=Throttle(counter, name="account-client", **failures),
        account=Throttle(
            counter,
            name="account",
            limit=settings.account_max_failures,
            window=settings.login_window,
        ),
        device=Throttle(counter, name="device", **failures),
        code_tries=Throttle(
            counter, name="code-tries", limit=CODE_TRIES, window=settings.mfa_challenge_ttl
        ),
        code_account=Throttle(counter, name="code-account", **failures),
    )


class _People(NamedTuple):
    """What the person owns of their account (deletion, export, alerts), and the operator."""

    alerts: NewDeviceAlerts
    deletion: AccountDeletion
    export: AccountExport
    operators: Operators


def _people(
    settings: Settings,
    db: Database,
    clock: Clock,
    ender: SessionEnder,
    *,
    confirmation: PasswordConfirmation,
    mail: _Mail,
) -> _People:
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
    return _People(alerts, deletion, AccountExport(db=db, clock=clock), operators)


@dataclass(frozen=True, slots=True)
class _Mail:
    messages: Messages
    outbox: Outbox
    notices: Notices
    limits: MailLimits


def _mail(settings: Settings, db: Database, clock: Clock, counter: Counter) -> _Mail:
    messages = Messages(TEMPLATES, sender=settings.mail_from, base_url=settings.base_url)
    smtp = (
        parse_smtp_url(settings.smtp_url.get_secret_value())
        if settings.smtp_url is not None
        else None
    )
    outbox = Outbox(db, clock, messages, smtp=smtp, poll=settings.outbox_poll)
    limits = MailLimits(
        counter, per_address=settings.mail_max_per_address, window=settings.mail_window
    )
    return _Mail(
        messages=messages,
        outbox=outbox,
        notices=Notices(outbox=outbox, messages=messages, limits=limits, describe=describe_device),
        limits=limits,
    )
