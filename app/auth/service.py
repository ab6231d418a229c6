"""The auth service: carries out registration, login, logout and the refresh decision.

Each operation reads the clock once and passes ``now`` down. The database writes of
one operation (rows and the activity log) happen in one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import repository
from app.auth.events import EventKind
from app.auth.refresh import (
    Follow,
    Policy,
    Reject,
    RejectReason,
    Renew,
    RevokeFamily,
    Rotate,
    Serve,
    SessionState,
    decide_session,
    decide_token,
    mint,
    renewed,
    rotated,
    session_expiry,
)
from app.auth.stores import Denylist, Successors
from app.auth.throttle import Throttle
from app.clock import Clock
from app.db.models import AuthEvent, Session, User
from app.security.passwords import PasswordService
from app.security.tokens import InvalidTokenError, TokenClaims, TokenCodec

__all__ = [
    "AuthResult",
    "AuthService",
    "ClientInfo",
    "EmailTaken",
    "IssuedToken",
    "Throttled",
    "Throttles",
    "hash_secret",
    "record_event",
]

log = structlog.get_logger("auth")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ClientInfo:
    user_agent: str = ""
    address: str = ""  # coarse (a /24 or /48): what is stored and shown
    ip: str = ""  # exact: what throttling counts by; never stored


@dataclass(frozen=True, slots=True)
class Throttled:
    retry_after: int  # seconds


@dataclass(frozen=True, slots=True)
class EmailTaken:
    pass


@dataclass(frozen=True, slots=True)
class Throttles:
    account: Throttle  # failed sign-ins per account (email)
    client: Throttle  # sign-in and registration attempts per client address


@dataclass(frozen=True, slots=True)
class IssuedToken:
    claims: TokenClaims
    token: str
    max_age: int  # seconds until the session's idle or absolute end, whichever is first


@dataclass(frozen=True, slots=True)
class AuthResult:
    """What the guard needs: who (if anyone), and what to do with the cookie."""

    claims: TokenClaims | None = None
    issued: IssuedToken | None = None
    clear_cookie: bool = False
    reason: RejectReason | None = None
    tier: int = 0  # 1 served from the token, 2 renewed, 3 session checked; 0 not signed in


ANONYMOUS = AuthResult()


async def record_event(
    db: AsyncSession,
    kind: EventKind,
    now: int,
    client: ClientInfo,
    *,
    user_id: int | None,
    session_id: str | None,
) -> None:
    """One row of the activity log, in the caller's transaction. Never a secret."""
    await repository.add_event(
        db,
        AuthEvent(
            created_at=now,
            user_id=user_id,
            session_public_id=session_id,
            kind=kind.value,
            client_addr=client.address[:64],
            user_agent=client.user_agent[:512],
        ),
    )


class AuthService:
    def __init__(
        self,
        *,
        db: async_sessionmaker[AsyncSession],
        clock: Clock,
        codec: TokenCodec,
        passwords: PasswordService,
        policy: Policy,
        denylist: Denylist,
        successors: Successors,
        throttles: Throttles,
        token_cache_size: int = 10_000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._codec = codec
        self._passwords = passwords
        self._policy = policy
        self._denylist = denylist
        self._successors = successors
        self._throttles = throttles
        # The fast path: a token already verified is not decrypted again. Keyed by the exact
        # token string; the claims are immutable and their times and the denylist are
        # still checked on every request. Failures are not cached (they raise).
        self._decode = (
            functools.lru_cache(maxsize=token_cache_size)(codec.decode)
            if token_cache_size
            else codec.decode
        )

    # -- the guard ---------------------------------------------------------

    async def authenticate(self, token: str | None, client: Callable[[], ClientInfo]) -> AuthResult:
        if token is None:
            return ANONYMOUS
        now = self._clock.now()
        try:
            claims = self._decode(token)
        except InvalidTokenError:
            return self._reject(Reject(RejectReason.INVALID_TOKEN))
        if await self._denylist.is_revoked(claims.session_id, now):
            return self._reject(Reject(RejectReason.SESSION_REVOKED))
        outcome = decide_token(claims, now)
        if isinstance(outcome, Serve):
            return AuthResult(claims=claims, tier=1)
        if isinstance(outcome, Renew):
            issued = self._issue(renewed(claims, now, self._policy), now)
            return AuthResult(claims=issued.claims, issued=issued, tier=2)
        return await self._check_session(claims, now, client())

    async def _check_session(self, claims: TokenClaims, now: int, client: ClientInfo) -> AuthResult:
        """Tier 3: one transaction decides and writes; the stores are told after the commit."""
        old_hash = hash_secret(claims.secret)
        async with self._db() as db, db.begin():
            row = await repository.find_session_by_secret_hash(db, old_hash)
            previous = stale = False
            if row is None:
                row = await repository.find_session_by_previous_hash(db, old_hash)
                previous = row is not None
            if row is None:  # a secret older than the previous one: still this session?
                row = await repository.find_session_by_public_id(
                    db, user_id=claims.user_id, public_id=claims.session_id
                )
                stale = row is not None
            state = _state(row, matched_previous=previous, stale=stale)
            decision = decide_session(claims, state, now, self._policy)
            if row is None or row.id is None:
                return self._reject(Reject(RejectReason.SESSION_MISSING))
            if isinstance(decision, Rotate):
                result = await self._rotate(
                    db, row, claims, old_hash=old_hash, now=now, client=client
                )
                if result is not None:
                    return result
                decision = Follow(claims)  # a concurrent request rotated this secret first
            elif isinstance(decision, RevokeFamily):
                await repository.delete_session(db, row.id)
                await record_event(
                    db,
                    EventKind.REUSE_DETECTED,
                    now,
                    client,
                    user_id=claims.user_id,
                    session_id=claims.session_id,
                )
            elif isinstance(decision, Reject) and decision.delete_row:
                await repository.delete_session(db, row.id)
        if isinstance(decision, Reject):
            return self._reject(decision)
        if isinstance(decision, RevokeFamily):
            await self._denylist.revoke(claims.session_id, revoked_at=now, now=now)
            log.warning("reuse_detected", user_id=claims.user_id, session=claims.session_id)
            return self._reject(Reject(RejectReason.SESSION_REVOKED))
        return await self._follow(claims, old_hash, now)

    async def _rotate(
        self,
        db: AsyncSession,
        row: Session,
        claims: TokenClaims,
        *,
        old_hash: str,
        now: int,
        client: ClientInfo,
    ) -> AuthResult | None:
        """Replace the secret if it is still ``old_hash``; None if another request did first."""
        if row.id is None:
            return None
        secret = secrets.token_urlsafe(32)
        expires_at = session_expiry(now, row.absolute_expires_at, self._policy)
        won = await repository.rotate_session(
            db,
            session_id=row.id,
            old_hash=old_hash,
            new_hash=hash_secret(secret),
            now=now,
            expires_at=expires_at,
        )
        if not won:
            return None
        new_claims = rotated(
            claims, secret=secret, session_expires_at=expires_at, now=now, policy=self._policy
        )
        issued = self._issue(new_claims, now)
        await record_event(
            db, EventKind.ROTATED, now, client, user_id=claims.user_id, session_id=claims.session_id
        )
        # Before the commit: a request that lost the race waits for the commit, then finds
        # the successor here.
        await self._successors.remember(old_hash, issued.token, rotated_at=now)
        return AuthResult(claims=new_claims, issued=issued, tier=3)

    async def _follow(self, claims: TokenClaims, old_hash: str, now: int) -> AuthResult:
        """Serve a request that raced a rotation, moving it onto the one successor."""
        successor = await self._successors.find(old_hash, now)
        if successor is not None:
            try:
                new_claims = self._codec.decode(successor)
            except InvalidTokenError:
                successor = None
        if successor is None:
            # The successor is known to another process (memory store) or already gone:
            # serve this request and leave the cookie alone; the winner's response sets it.
            return AuthResult(claims=claims, tier=3)
        issued = IssuedToken(
            claims=new_claims, token=successor, max_age=new_claims.session_expires_at - now
        )
        return AuthResult(claims=new_claims, issued=issued, tier=3)

    def _reject(self, decision: Reject) -> AuthResult:
        log.info("not_signed_in", reason=decision.reason.value)
        return AuthResult(clear_cookie=True, reason=decision.reason)

    def _issue(self, claims: TokenClaims, now: int) -> IssuedToken:
        return IssuedToken(
            claims=claims,
            token=self._codec.encode(claims),
            max_age=claims.session_expires_at - now,
        )

    # -- forms -------------------------------------------------------------

    async def register(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedToken | EmailTaken | Throttled:
        """Create the account and sign it in; nothing is written unless both succeed."""
        now = self._clock.now()
        if wait := await self._throttles.client.attempt(client.ip, now):
            return Throttled(wait)
        async with self._db() as db:
            if await repository.find_user_by_email(db, email) is not None:
                return EmailTaken()
        password_hash = await self._passwords.hash(password)
        now = self._clock.now()
        try:
            async with self._db() as db, db.begin():
                user = await repository.add_user(
                    db, email=email, password_hash=password_hash, now=now
                )
                issued = await self._start_session(db, user, client, now)
                await record_event(
                    db,
                    EventKind.REGISTERED,
                    now,
                    client,
                    user_id=issued.claims.user_id,
                    session_id=issued.claims.session_id,
                )
        except IntegrityError:  # a concurrent registration of the same email won
            return EmailTaken()
        log.info("registered", user_id=user.id, session=issued.claims.session_id)
        return issued

    async def login(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedToken | Throttled | None:
        """A token for a new session; None for a wrong email or password (the same answer,
        the same cost); Throttled past the limits, even for the right password."""
        now = self._clock.now()
        if wait := await self._throttles.client.attempt(client.ip, now):
            return Throttled(wait)
        # Counted as a failure up front; a success resets it.
        if wait := await self._throttles.account.attempt(email, now):
            return Throttled(wait)
        async with self._db() as db:
            user = await repository.find_user_by_email(db, email)
        ok, new_hash = await self._passwords.verify(
            user.password_hash if user is not None else None, password
        )
        now = self._clock.now()
        if user is None or user.id is None or not ok:
            user_id = user.id if user is not None else None
            async with self._db() as db, db.begin():
                await record_event(
                    db, EventKind.SIGN_IN_FAILED, now, client, user_id=user_id, session_id=None
                )
            log.info("sign_in_failed", user_id=user_id)
            return None
        await self._throttles.account.reset(email)
        async with self._db() as db, db.begin():
            if new_hash is not None:
                await repository.set_password_hash(db, user.id, new_hash)
            issued = await self._start_session(db, user, client, now)
            await record_event(
                db,
                EventKind.SIGNED_IN,
                now,
                client,
                user_id=issued.claims.user_id,
                session_id=issued.claims.session_id,
            )
        log.info("signed_in", user_id=user.id, session=issued.claims.session_id)
        return issued

    async def logout(self, claims: TokenClaims, client: ClientInfo) -> None:
        """End this session everywhere at once: row deleted, outstanding tokens denied."""
        now = self._clock.now()
        async with self._db() as db, db.begin():
            await repository.delete_session_by_public_id(
                db, user_id=claims.user_id, public_id=claims.session_id
            )
            await record_event(
                db,
                EventKind.SIGNED_OUT,
                now,
                client,
                user_id=claims.user_id,
                session_id=claims.session_id,
            )
        await self._denylist.revoke(claims.session_id, revoked_at=now, now=now)
        log.info("signed_out", user_id=claims.user_id, session=claims.session_id)

    async def restore_denylist(self) -> int:
        """At start-up: sessions revoked within the last token lifetime stay revoked."""
        now = self._clock.now()
        async with self._db() as db:
            revoked = await repository.revocations_since(db, now - self._policy.token_ttl)
        for session_id, revoked_at in revoked:
            await self._denylist.revoke(session_id, revoked_at=revoked_at, now=now)
        return len(revoked)

    async def _start_session(
        self, db: AsyncSession, user: User, client: ClientInfo, now: int
    ) -> IssuedToken:
        if user.id is None:
            raise ValueError("the user must be saved before a session starts")
        secret = secrets.token_urlsafe(32)
        absolute = now + self._policy.session_max_age
        row = await repository.add_session(
            db,
            Session(
                public_id=secrets.token_urlsafe(16),
                user_id=user.id,
                secret_hash=hash_secret(secret),
                created_at=now,
                rotated_at=now,
                expires_at=session_expiry(now, absolute, self._policy),
                absolute_expires_at=absolute,
                user_agent=client.user_agent[:512],
                client_addr=client.address[:64],
            ),
        )
        claims = mint(
            user_id=user.id,
            email=user.email,
            session_id=row.public_id,
            secret=secret,
            session_started_at=now,
            session_expires_at=row.expires_at,
            now=now,
            policy=self._policy,
        )
        return self._issue(claims, now)


def _state(row: Session | None, *, matched_previous: bool, stale: bool) -> SessionState | None:
    if row is None:
        return None
    return SessionState(
        user_id=row.user_id,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        expires_at=row.expires_at,
        absolute_expires_at=row.absolute_expires_at,
        matched_previous=matched_previous,
        stale=stale,
    )
