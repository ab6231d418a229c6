"""Registration, sign-in and sign-out. Each operation reads the clock once; its database
writes (the rows and the activity log) are one transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import repository
from app.auth.authenticate import TokenIssuer
from app.auth.ending import SessionEnder
from app.auth.events import EventKind, record_event
from app.auth.lifetimes import Policy, mint, session_expiry
from app.auth.refresh import hash_secret
from app.auth.throttle import Throttle
from app.auth.types import ClientInfo, EmailTaken, IssuedToken, Throttled
from app.clock import Clock
from app.db.database import Database
from app.db.models import Session, User
from app.security.passwords import PasswordService
from app.security.rotation import new_secret
from app.security.tokens import TokenClaims

__all__ = ["SignIn", "Throttles", "start_session"]

log = structlog.get_logger("app.auth")


@dataclass(frozen=True, slots=True)
class Throttles:
    account: Throttle  # failed sign-ins per account (email)
    client: Throttle  # sign-in and registration attempts per client address


async def start_session(
    db: AsyncSession,
    user: User,
    client: ClientInfo,
    now: int,
    *,
    policy: Policy,
    issuer: TokenIssuer,
) -> IssuedToken:
    """A new session row for ``user`` and the token that carries its secret."""
    if user.id is None:
        raise ValueError("the user must be saved before a session starts")
    secret = new_secret()
    absolute = now + policy.session_max_age
    row = await repository.add_session(
        db,
        Session(
            public_id=secrets.token_urlsafe(16),
            user_id=user.id,
            secret_hash=hash_secret(secret),
            created_at=now,
            rotated_at=now,
            expires_at=session_expiry(now, absolute, policy),
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
        policy=policy,
    )
    return issuer.issue(claims, now)


class SignIn:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        issuer: TokenIssuer,
        passwords: PasswordService,
        policy: Policy,
        throttles: Throttles,
        ender: SessionEnder,
    ) -> None:
        self._db = db
        self._clock = clock
        self._issuer = issuer
        self._passwords = passwords
        self._policy = policy
        self._throttles = throttles
        self._ender = ender

    async def register(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedToken | EmailTaken | Throttled:
        """Create the account and sign it in; nothing is written unless both succeed."""
        now = self._clock.now()
        if wait := await self._throttles.client.attempt(client.ip, now):
            return Throttled(wait)
        async with self._db.read() as db:
            if await repository.find_user_by_email(db, email) is not None:
                return EmailTaken()
        password_hash = await self._passwords.hash(password)
        try:
            async with self._db.write() as tx:
                user = await repository.add_user(
                    tx.session, email=email, password_hash=password_hash, now=now
                )
                issued = await self._start(tx.session, user, client, now)
                await self._record(tx.session, EventKind.REGISTERED, issued.claims, now, client)
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
        # Counted as a failure up front (parallel guesses are counted too); a success resets.
        if wait := await self._throttles.account.attempt(email, now):
            return Throttled(wait)
        async with self._db.read() as db:
            user = await repository.find_user_by_email(db, email)
        ok, new_hash = await self._passwords.verify(
            user.password_hash if user is not None else None, password
        )
        if user is None or user.id is None or not ok:
            user_id = user.id if user is not None else None
            async with self._db.write() as tx:
                await record_event(
                    tx.session,
                    EventKind.SIGN_IN_FAILED,
                    now,
                    client,
                    user_id=user_id,
                    session_id=None,
                )
            log.info("sign_in_failed", user_id=user_id)
            return None
        await self._throttles.account.reset(email)
        async with self._db.write() as tx:
            if new_hash is not None:
                await repository.set_password_hash(tx.session, user.id, new_hash)
            issued = await self._start(tx.session, user, client, now)
            await self._record(tx.session, EventKind.SIGNED_IN, issued.claims, now, client)
        log.info("signed_in", user_id=user.id, session=issued.claims.session_id)
        return issued

    async def logout(self, claims: TokenClaims, client: ClientInfo) -> None:
        """End this session everywhere at once: row deleted, outstanding tokens denied."""
        now = self._clock.now()
        async with self._db.write() as tx:
            await self._ender.end(
                tx,
                user_id=claims.user_id,
                only=[claims.session_id],
                token_session=claims.session_id,
                kind=EventKind.SIGNED_OUT,
                now=now,
                client=client,
            )
        log.info("signed_out", user_id=claims.user_id, session=claims.session_id)

    async def _start(
        self, db: AsyncSession, user: User, client: ClientInfo, now: int
    ) -> IssuedToken:
        return await start_session(db, user, client, now, policy=self._policy, issuer=self._issuer)

    async def _record(
        self, db: AsyncSession, kind: EventKind, claims: TokenClaims, now: int, client: ClientInfo
    ) -> None:
        await record_event(
            db, kind, now, client, user_id=claims.user_id, session_id=claims.session_id
        )
