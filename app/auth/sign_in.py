"""Registration, sign-in and sign-out. Each operation reads the clock once; its database
writes (the rows and the activity log) are one transaction.

Signing in has two seams: :meth:`SignIn.check_password` (the first proof: right, wrong,
or throttled) and :meth:`SignIn.complete` (a session for a user whose proofs are
complete, recording them); between them :func:`app.auth.stages.next_stage` says whether
another proof is needed. When it is, the sign-in waits in a sealed cookie
(``app.auth.pending``) and :meth:`SignIn.second_factor` takes the code: five tries per
pending sign-in, and the account's own limit of wrong codes across all of them.

Guessing is slowed without letting a stranger lock anyone out (OWASP's device cookies,
NIST 800-63B rev 4 3.2.2): failures count per (account, client address) and, at a higher
limit, per account - but a browser that has signed in to the account before (it carries
the account's device cookie) counts against its own allowance only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError

from app.auth import repository
from app.auth.authenticate import TokenIssuer
from app.auth.lifetimes import Policy
from app.auth.new_device import NewDeviceAlerts
from app.auth.passkeys import PasskeyRefused, Passkeys, Purpose
from app.auth.pending import PendingSignIn, PendingSignIns, password_fingerprint
from app.auth.second_factors import SecondFactors
from app.auth.session_store import SessionEnder, start_session
from app.auth.stages import Complete, Method, NeedFirstProof, NeedSecondFactor, next_stage
from app.auth.types import (
    AccountDisabled,
    EmailTaken,
    PendingOver,
    SecondFactorNeeded,
    SignedIn,
    Throttled,
    WrongCode,
    WrongCredentials,
)
from app.auth.verification import Verification
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import User
from app.security.devices import DeviceCookies
from app.security.passwords import PasswordService
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.addresses import email_key
from app.shared.clients import ClientInfo
from app.shared.throttle import Throttle

__all__ = ["PasswordChecked", "SecondProof", "SignIn", "Throttles"]

log = structlog.get_logger("app.auth")

# A second proof checked in the transaction that would start the session: the method it
# proved, or None (nothing is written then).
SecondProof = Callable[[Tx, User], Awaitable[Method | None]]


@dataclass(frozen=True, slots=True)
class Throttles:
    client: Throttle  # sign-in and registration attempts per client address
    account_client: Throttle  # failed sign-ins per (account, client address)
    account: Throttle  # failed sign-ins per account, from browsers it does not know
    device: Throttle  # failed sign-ins per known device: its own allowance
    code_tries: Throttle  # second-step codes per pending sign-in (five)
    code_account: Throttle  # wrong second-step codes per account, across sign-ins


@dataclass(frozen=True, slots=True)
class PasswordChecked:
    """The password was right: who it is, and what the rest of the sign-in needs."""

    user: User  # as read for the check (its hash is the one that was verified)
    user_id: int
    device: str | None  # this browser's device id for the account, if it carries one
    new_hash: str | None  # the hash with today's parameters, if it needs an upgrade
    counted: list[tuple[Throttle, str]]  # the failure counts a completed sign-in resets


@dataclass(frozen=True, slots=True, kw_only=True)
class SignIn:
    db: Database
    clock: Clock
    issuer: TokenIssuer
    passwords: PasswordService
    policy: Policy
    throttles: Throttles
    ender: SessionEnder
    devices: DeviceCookies
    verification: Verification
    factors: SecondFactors
    pending: PendingSignIns
    passkeys: Passkeys
    alerts: NewDeviceAlerts

    async def admit(self, client: ClientInfo) -> Throttled | None:
        """Count one sign-in or registration attempt from this client, before anything
        of the form is looked at; Throttled past the client's limit."""
        wait = await self.throttles.client.attempt(client.ip, self.clock.now())
        return Throttled(wait) if wait else None

    async def register(
        self, email: str, password: str, client: ClientInfo, *, current: TokenClaims | None
    ) -> SignedIn | EmailTaken:
        """Create the account and sign it in; nothing is written unless both succeed. A
        session this browser already had ends in the same transaction."""
        now = self.clock.now()
        async with self.db.read() as db:
            if await repository.find_user_by_email(db, email) is not None:
                return EmailTaken()
        password_hash = await self.passwords.hash(password)
        check = await self.verification.may_send_check(email, now)
        try:
            async with self.db.write() as tx:
                user = await repository.add_user(
                    tx.session, email=email, password_hash=password_hash, now=now
                )
                if check:  # the mail that confirms the address, in the same transaction
                    await self.verification.send_check(tx, user, now)
                claims = await self._start(
                    tx,
                    user,
                    client,
                    now,
                    kind=EventKind.REGISTERED,
                    current=current,
                    amr=(Method.PASSWORD.value,),
                )
        except IntegrityError:  # a concurrent registration of the same email won
            return EmailTaken()
        log.info("registered", user_id=user.id, session=claims.session_id)
        return self._signed_in(claims, now, device=None)

    async def login(
        self,
        email: str,
        password: str,
        client: ClientInfo,
        *,
        device_cookie: str | None,
        current: TokenClaims | None,
        next: str = "",
    ) -> SignedIn | SecondFactorNeeded | Throttled | WrongCredentials | AccountDisabled:
        """A sign-in with a password: the check, the stage rule, then the session - or,
        for an account with a second factor, the pending sign-in that waits for it."""
        now = self.clock.now()
        checked = await self.check_password(email, password, client, device_cookie, now)
        if not isinstance(checked, PasswordChecked):
            return checked
        async with self.db.read() as db:
            enrolled = await self.factors.enrolled(db, checked.user_id)
        match next_stage((Method.PASSWORD,), enrolled=enrolled):
            case Complete(amr):
                return await self.complete(checked, amr, client, now, current=current)
            case NeedSecondFactor():
                for throttle, key in checked.counted:  # the password was right
                    await throttle.reset(key)
                pending = PendingSignIn.begin(
                    user_id=checked.user_id,
                    password_hash=await self._upgraded_hash(checked),
                    now=now,
                    next=next,
                    device=checked.device,
                )
                log.info("second_factor_asked", user_id=checked.user_id)
                return SecondFactorNeeded(self.pending.seal(pending), self.pending.ttl)
            case NeedFirstProof():  # pragma: no cover - a password was just proved
                raise AssertionError("a proved password is a first proof")

    async def _upgraded_hash(self, checked: PasswordChecked) -> str:
        """The stored hash a pending sign-in is bound to. The password is known only now,
        so a hash with outdated parameters is upgraded here, not when the code comes: a
        sign-in with two steps upgrades it as one with the password alone does."""
        old = checked.user.password_hash
        if checked.new_hash is None:
            return old
        async with self.db.write() as tx:
            replaced = await repository.replace_password_hash(
                tx.session, checked.user_id, old, checked.new_hash
            )
        return checked.new_hash if replaced else old

    async def second_factor(
        self, sealed: str | None, code: str, client: ClientInfo, *, current: TokenClaims | None
    ) -> SignedIn | WrongCode | PendingOver | Throttled:
        """The second step: a code of the authenticator app, or a recovery code, for the
        pending sign-in ``sealed``. Every try counts, up front: five per pending sign-in
        (then it is over), and ``APP_LOGIN_MAX_FAILURES`` per account in
        ``APP_LOGIN_WINDOW`` (then every code is Throttled, even a right one)."""
        now = self.clock.now()
        pending = self.pending.open(sealed)
        if pending is None:
            return PendingOver(expired=False)
        if pending.expired(now, self.pending.ttl):
            return PendingOver(expired=True)
        if await self.throttles.code_tries.attempt(pending.id, now):
            return PendingOver(expired=False)
        account_key = str(pending.user_id)
        if wait := await self.throttles.code_account.attempt(account_key, now):
            return Throttled(wait)
        async with self.db.read() as db:
            user = await repository.find_user(db, pending.user_id)
        if (
            user is None
            or user.id is None
            or password_fingerprint(user.password_hash) != pending.password
        ):  # the password was reset or changed since it was checked: start again
            return PendingOver(expired=False)
        checked = PasswordChecked(
            user, user.id, pending.device, None, [(self.throttles.code_account, account_key)]
        )

        async def prove(tx: Tx, locked: User) -> Method | None:
            return await self.factors.prove(tx, locked, code, client, now)

        outcome = await self._complete(
            checked, (Method.PASSWORD.value,), client, now, current=current, second=prove
        )
        if isinstance(outcome, WrongCredentials):
            return PendingOver(expired=False)
        if isinstance(outcome, WrongCode):
            async with self.db.write() as tx:
                await record_event(
                    tx.session,
                    EventKind.SECOND_FACTOR_FAILED,
                    now,
                    client,
                    user_id=user.id,
                    session_id=None,
                )
            log.info("second_factor_failed", user_id=user.id)
        return outcome

    async def with_passkey(
        self,
        raw: object,
        client: ClientInfo,
        *,
        device_cookie: str | None,
        current: TokenClaims | None,
    ) -> SignedIn | PasskeyRefused:
        """A sign-in with a passkey: user verification makes it two factors in one, so it
        completes at once (the stage table), whatever else the account has."""
        now = self.clock.now()
        proved = await self.passkeys.prove(raw, Purpose.SIGN_IN)
        if isinstance(proved, PasskeyRefused):
            log.info("passkey_sign_in_refused", reason=proved.reason)
            return proved
        user = proved.user
        if user.id is None:
            return PasskeyRefused("account")
        stage = next_stage((proved.method,), enrolled=())
        if not isinstance(stage, Complete):  # pragma: no cover - the table says so
            raise AssertionError("a passkey is a complete sign-in")
        checked = PasswordChecked(
            user, user.id, self.devices.device(device_cookie, user.id), None, []
        )
        outcome = await self.complete(checked, stage.amr, client, now, current=current)
        return outcome if isinstance(outcome, SignedIn) else PasskeyRefused("changed meanwhile")

    async def check_password(
        self, email: str, password: str, client: ClientInfo, device_cookie: str | None, now: int
    ) -> PasswordChecked | Throttled | WrongCredentials | AccountDisabled:
        """The first proof. Wrong email and wrong password are one answer, at one cost;
        past the limits the answer is Throttled, even for the right password. Only the
        right password learns that an operator disabled the account."""
        async with self.db.read() as db:
            user = await repository.find_user_by_email(db, email)
        device = self.devices.device(device_cookie, user.id) if user and user.id else None
        # Counted as a failure up front (parallel guesses are counted too); success resets.
        counted = await self._count_failure(email_key(email), device, client, now)
        if isinstance(counted, Throttled):
            return counted
        ok, new_hash = await self.passwords.verify(
            user.password_hash if user is not None else None, password
        )
        if user is None or user.id is None or not ok:
            return await self._failed(user.id if user is not None else None, client, now)
        if user.disabled_at is not None:
            return AccountDisabled()
        return PasswordChecked(user, user.id, device, new_hash, counted)

    async def complete(
        self,
        checked: PasswordChecked,
        amr: tuple[str, ...],
        client: ClientInfo,
        now: int,
        *,
        current: TokenClaims | None,
    ) -> SignedIn | WrongCredentials:
        """The session for a sign-in whose proofs are all made (``amr``)."""
        outcome = await self._complete(checked, amr, client, now, current=current, second=None)
        if isinstance(outcome, WrongCode):  # pragma: no cover - only a second proof is a code
            raise AssertionError("no code was asked for")
        return outcome

    async def _complete(
        self,
        checked: PasswordChecked,
        amr: tuple[str, ...],
        client: ClientInfo,
        now: int,
        *,
        current: TokenClaims | None,
        second: SecondProof | None,
    ) -> SignedIn | WrongCredentials | WrongCode:
        """The session for a sign-in whose proofs are complete, recording them (``amr``,
        then the method ``second`` proved, checked in the same transaction: a code is
        used up if and only if the session starts). The password checked must still be
        the account's: a reset or change that committed meanwhile wins, and this sign-in
        never becomes a session."""
        claims = None
        async with self.db.write() as tx:
            user = await repository.lock_unchanged(tx.session, checked.user)
            if user is not None and user.disabled_at is not None:
                user = None  # disabled meanwhile: this sign-in never becomes a session
            method = await second(tx, user) if second is not None and user is not None else None
            if user is not None and (second is None or method is not None):
                if checked.new_hash is not None:
                    await repository.set_password_hash(
                        tx.session, checked.user_id, checked.new_hash
                    )
                proved = (*amr, method.value) if method is not None else amr
                claims = await self._start(
                    tx, user, client, now, kind=EventKind.SIGNED_IN, current=current, amr=proved
                )
                if method is Method.RECOVERY_CODE:
                    await record_event(
                        tx.session,
                        EventKind.RECOVERY_CODE_USED,
                        now,
                        client,
                        user_id=claims.user_id,
                        session_id=claims.session_id,
                    )
                if checked.device is None:  # a browser the account does not know
                    await self.alerts.signed_in(tx, user, claims.session_id, client, now)
        if user is None:
            return await self._failed(checked.user_id, client, now)
        if claims is None:
            return WrongCode()
        for throttle, key in checked.counted:
            await throttle.reset(key)
        log.info("signed_in", user_id=checked.user_id, session=claims.session_id)
        return self._signed_in(claims, now, device=checked.device)

    async def _failed(self, user_id: int | None, client: ClientInfo, now: int) -> WrongCredentials:
        async with self.db.write() as tx:
            await record_event(
                tx.session, EventKind.SIGN_IN_FAILED, now, client, user_id=user_id, session_id=None
            )
        log.info("sign_in_failed", user_id=user_id)
        return WrongCredentials()

    async def _count_failure(
        self, key: str, device: str | None, client: ClientInfo, now: int
    ) -> Throttled | list[tuple[Throttle, str]]:
        """Count this attempt where it belongs; Throttled, or what a success resets."""
        if device is not None:
            counters = [(self.throttles.device, device)]
        else:
            counters = [
                (self.throttles.account_client, f"{key}|{client.ip}"),
                (self.throttles.account, key),
            ]
        for throttle, name in counters:
            if wait := await throttle.attempt(name, now):
                return Throttled(wait)
        return counters

    async def logout(self, claims: TokenClaims, client: ClientInfo) -> None:
        """End this session everywhere at once: row deleted, outstanding tokens denied."""
        now = self.clock.now()
        async with self.db.write() as tx:
            await self.ender.end_this(tx, claims, kind=EventKind.SIGNED_OUT, now=now, client=client)
        log.info("signed_out", user_id=claims.user_id, session=claims.session_id)

    async def _start(
        self,
        tx: Tx,
        user: User,
        client: ClientInfo,
        now: int,
        *,
        kind: EventKind,
        current: TokenClaims | None,
        amr: tuple[str, ...],
    ) -> TokenClaims:
        if current is not None:  # signing in again: the session this browser had ends
            await self.ender.end_this(
                tx, current, kind=EventKind.SIGNED_OUT, now=now, client=client
            )
        claims = await start_session(tx, user, client, now, policy=self.policy, amr=amr)
        await record_event(
            tx.session, kind, now, client, user_id=claims.user_id, session_id=claims.session_id
        )
        return claims

    def _signed_in(self, claims: TokenClaims, now: int, *, device: str | None) -> SignedIn:
        return SignedIn(
            issued=self.issuer.issue(claims, now),
            device=self.devices.issue(claims.user_id, device),
        )
