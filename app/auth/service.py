"""The auth service: carries out registration, login, logout and the refresh decision.

Each operation reads the clock once and passes ``now`` down. Database writes of
one operation happen in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import repository
from app.auth.refresh import (
    Policy,
    Reject,
    RejectReason,
    Renew,
    Serve,
    SessionState,
    decide_session,
    decide_token,
    mint,
    renewed,
    rotated,
    session_expiry,
)
from app.clock import Clock
from app.db.models import Session, User
from app.security.passwords import PasswordService
from app.security.tokens import InvalidTokenError, TokenClaims, TokenCodec

__all__ = [
    "AuthResult",
    "AuthService",
    "ClientInfo",
    "EmailTakenError",
    "IssuedToken",
    "hash_secret",
]

log = structlog.get_logger("auth")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ClientInfo:
    user_agent: str = ""
    address: str = ""


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
    tier: int = 0  # 1 served from the token, 2 renewed, 3 rotated; 0 not signed in


ANONYMOUS = AuthResult()


class EmailTakenError(Exception):
    pass


class AuthService:
    def __init__(
        self,
        *,
        db: async_sessionmaker[AsyncSession],
        clock: Clock,
        codec: TokenCodec,
        passwords: PasswordService,
        policy: Policy,
    ) -> None:
        self._db = db
        self._clock = clock
        self._codec = codec
        self._passwords = passwords
        self._policy = policy

    # -- the guard ---------------------------------------------------------

    async def authenticate(self, token: str | None) -> AuthResult:
        if token is None:
            return ANONYMOUS
        now = self._clock.now()
        try:
            claims = self._codec.decode(token)
        except InvalidTokenError:
            return self._reject(Reject(RejectReason.INVALID_TOKEN))
        outcome = decide_token(claims, now)
        if isinstance(outcome, Serve):
            return AuthResult(claims=claims, tier=1)
        if isinstance(outcome, Renew):
            issued = self._issue(renewed(claims, now, self._policy), now)
            return AuthResult(claims=issued.claims, issued=issued, tier=2)
        return await self._check_session(claims, now)

    async def _check_session(self, claims: TokenClaims, now: int) -> AuthResult:
        old_hash = hash_secret(claims.secret)
        async with self._db() as db, db.begin():
            row = await repository.find_session_by_secret_hash(db, old_hash)
            state = _state(row)
            decision = decide_session(claims, state, now)
            if isinstance(decision, Reject):
                if decision.delete_row and row is not None and row.id is not None:
                    await repository.delete_session(db, row.id)
                return self._reject(decision)
            if row is None or row.id is None:  # unreachable: Rotate means a row was found
                return self._reject(Reject(RejectReason.SESSION_MISSING))
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
            if not won:  # another request rotated this secret first
                return self._reject(Reject(RejectReason.SESSION_MISSING))
        new_claims = rotated(
            claims, secret=secret, session_expires_at=expires_at, now=now, policy=self._policy
        )
        log.info("session_rotated", user_id=claims.user_id, session=claims.session_id)
        return AuthResult(claims=new_claims, issued=self._issue(new_claims, now), tier=3)

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

    async def register(self, email: str, password: str, client: ClientInfo) -> IssuedToken:
        """Create the account and sign it in. Raises EmailTakenError; writes nothing then."""
        async with self._db() as db:
            if await repository.find_user_by_email(db, email) is not None:
                raise EmailTakenError(email)
        password_hash = await self._passwords.hash(password)
        now = self._clock.now()
        try:
            async with self._db() as db, db.begin():
                user = await repository.add_user(
                    db, email=email, password_hash=password_hash, now=now
                )
                issued = await self._start_session(db, user, client, now)
        except IntegrityError as error:  # a concurrent registration of the same email won
            raise EmailTakenError(email) from error
        log.info("registered", user_id=user.id, session=issued.claims.session_id)
        return issued

    async def login(self, email: str, password: str, client: ClientInfo) -> IssuedToken | None:
        """A token for a new session, or None. Unknown email and wrong password cost the same."""
        async with self._db() as db:
            user = await repository.find_user_by_email(db, email)
        ok, new_hash = await self._passwords.verify(
            user.password_hash if user is not None else None, password
        )
        if user is None or user.id is None or not ok:
            log.info("login_failed", user_id=user.id if user is not None else None)
            return None
        now = self._clock.now()
        async with self._db() as db, db.begin():
            if new_hash is not None:
                await repository.set_password_hash(db, user.id, new_hash)
            issued = await self._start_session(db, user, client, now)
        log.info("signed_in", user_id=user.id, session=issued.claims.session_id)
        return issued

    async def logout(self, claims: TokenClaims) -> None:
        async with self._db() as db, db.begin():
            await repository.delete_session_by_public_id(
                db, user_id=claims.user_id, public_id=claims.session_id
            )
        log.info("signed_out", user_id=claims.user_id, session=claims.session_id)

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


def _state(row: Session | None) -> SessionState | None:
    if row is None:
        return None
    return SessionState(
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        absolute_expires_at=row.absolute_expires_at,
    )
