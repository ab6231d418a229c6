"""Who is this request signed in as: carries out the refresh decision (tiers 1-3).

The rules are all in :func:`app.auth.refresh.decide`; this module only gathers its
inputs (the token, the denylist mirror, the session row when asked for) and performs
what it answers: the conditional rotation, ending a reused session, deleting an expired
row. The clock is read once per request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import assert_never

import structlog

from app.auth import repository
from app.auth.lifetimes import Policy, cookie_max_age
from app.auth.refresh import (
    Follow,
    Lookup,
    Outcome,
    ReadSession,
    Reject,
    RejectReason,
    Renew,
    RevokeFamily,
    Rotate,
    Serve,
    SessionRow,
    decide,
    hash_secret,
)
from app.auth.revocations import Revocations
from app.auth.session_store import SessionEnder
from app.auth.types import ANONYMOUS, Authentication, IssuedToken
from app.clock import Clock
from app.db.database import Database, Tx
from app.security.rotation import SecretDeriver
from app.security.tokens import InvalidTokenError, TokenClaims, TokenCodec
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["Authenticator", "TokenIssuer"]

log = structlog.get_logger("app.auth")

Final = Serve | Renew | Rotate | Follow | RevokeFamily | Reject


class TokenIssuer:
    """Claims in, a token and its cookie's lifetime out."""

    def __init__(self, codec: TokenCodec) -> None:
        self._codec = codec

    def issue(self, claims: TokenClaims, now: int) -> IssuedToken:
        return IssuedToken(
            claims=claims, token=self._codec.encode(claims), max_age=cookie_max_age(claims, now)
        )


class Authenticator:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        codec: TokenCodec,
        issuer: TokenIssuer,
        policy: Policy,
        revocations: Revocations,
        deriver: SecretDeriver,
        ender: SessionEnder,
        token_cache_size: int = 10_000,
    ) -> None:
        self._db = db
        self._clock = clock
        self._issuer = issuer
        self._policy = policy
        self._revocations = revocations
        self._deriver = deriver
        self._ender = ender
        # The fast path: a token already verified is not decrypted again. Keyed by the exact
        # token string; the claims are immutable, and the times and the denylist are still
        # judged on every request. Failures are not cached (they raise).
        self._decode = (
            functools.lru_cache(maxsize=token_cache_size)(codec.decode)
            if token_cache_size
            else codec.decode
        )

    async def authenticate(
        self, token: str | None, client: Callable[[], ClientInfo]
    ) -> Authentication:
        if token is None:
            return ANONYMOUS
        now = self._clock.now()
        try:
            claims = self._decode(token)
        except InvalidTokenError:
            return _rejected(RejectReason.INVALID_TOKEN)
        revoked = self._revocations.is_revoked(claims.session_id, now)
        outcome = decide(
            claims,
            now,
            self._policy,
            revoked=revoked,
            mirror_current=self._revocations.is_current(),
        )
        final = (
            await self._with_session(claims, now, revoked, client())
            if isinstance(outcome, ReadSession)
            else outcome
        )
        return self._carry_out(claims, final, now)

    async def _with_session(
        self, claims: TokenClaims, now: int, revoked: bool, client: ClientInfo
    ) -> Final:
        """Tier 3: read the row, decide, write. A token past its lifetime nearly always ends
        in a write (rotate, delete, revoke; else a Follow or a missing row), so its read
        happens inside the write transaction: one transaction, one connection
        (bench/profile.py: a separate read transaction cost a connection checkout, a BEGIN
        and a ROLLBACK per rotation). A live token read because the mirror is stale only
        reads (and decides again in a write transaction in the rare case that needs one).
        A rotation lost to a concurrent request is decided once more, on the row as that
        request left it (then: Follow)."""
        successor = self._deriver.successor(claims.secret)
        if now < claims.expires_at:
            async with self._db.read() as db:
                row = await repository.find_session_for_refresh(db, claims.session_id)
            outcome = self._decide(claims, now, revoked, Lookup(_row(row), successor))
            if not _writes(outcome):
                return self._final(outcome)
        async with self._db.write() as tx:
            final = await self._decide_and_write(
                tx, claims, now=now, revoked=revoked, successor=successor, client=client
            )
        if isinstance(final, RevokeFamily):  # committed: the session is ended
            log.warning("reuse_detected", user_id=claims.user_id, session=claims.session_id)
        return final

    def _decide(self, claims: TokenClaims, now: int, revoked: bool, lookup: Lookup) -> Outcome:
        return decide(
            claims,
            now,
            self._policy,
            revoked=revoked,
            mirror_current=self._revocations.is_current(),
            lookup=lookup,
        )

    async def _decide_and_write(
        self,
        tx: Tx,
        claims: TokenClaims,
        *,
        now: int,
        revoked: bool,
        successor: str,
        client: ClientInfo,
    ) -> Final:
        for _attempt in range(2):
            row = await repository.find_session_for_refresh(tx.session, claims.session_id)
            outcome = self._decide(claims, now, revoked, Lookup(_row(row), successor))
            match outcome:
                case Rotate():
                    if await self._rotate(tx, claims, outcome, now, client):
                        return outcome
                case RevokeFamily():
                    await self._ender.end_this(
                        tx, claims, kind=EventKind.REUSE_DETECTED, now=now, client=client
                    )
                    return outcome
                case Reject(delete_row=True):
                    await repository.delete_session(tx.session, claims.session_id)
                    return outcome
                case _:
                    return self._final(outcome)
        return Reject(RejectReason.SESSION_MISSING)  # pragma: no cover - the row moved twice

    @staticmethod
    def _final(outcome: Outcome) -> Final:
        if isinstance(outcome, ReadSession):  # pragma: no cover - decide() was given the row
            raise AssertionError("decide() asked for the row it was given")
        return outcome

    async def _rotate(
        self, tx: Tx, claims: TokenClaims, rotation: Rotate, now: int, client: ClientInfo
    ) -> bool:
        """The conditional write: True if this request replaced the secret."""
        won = await repository.rotate_session(
            tx.session,
            public_id=claims.session_id,
            old_hash=hash_secret(claims.secret),
            new_hash=hash_secret(rotation.claims.secret),
            now=now,
            expires_at=rotation.expires_at,
        )
        if won:
            await record_event(
                tx.session,
                EventKind.ROTATED,
                now,
                client,
                user_id=claims.user_id,
                session_id=claims.session_id,
            )
        return won

    def _carry_out(self, claims: TokenClaims, outcome: Final, now: int) -> Authentication:
        match outcome:
            case Serve(tier=tier):
                return Authentication(claims=claims, tier=tier)
            case Renew(claims=renewed, tier=tier):
                return self._signed_in(renewed, now, tier)
            case Rotate(claims=successor) | Follow(claims=successor):
                return self._signed_in(successor, now, 3, rotated=True)
            case RevokeFamily():
                return _rejected(RejectReason.SESSION_REVOKED)
            case Reject(reason=reason):
                return _rejected(reason)
            case _:  # pragma: no cover - every outcome is handled above
                assert_never(outcome)

    def _signed_in(
        self, claims: TokenClaims, now: int, tier: int, *, rotated: bool = False
    ) -> Authentication:
        issued = self._issuer.issue(claims, now)
        return Authentication(claims=claims, issued=issued, tier=tier, rotated=rotated)


def _rejected(reason: RejectReason) -> Authentication:
    log.info("not_signed_in", reason=reason.value)
    return Authentication(rejected=reason)


def _writes(outcome: Outcome) -> bool:
    """Does carrying this outcome out change the database?"""
    return isinstance(outcome, Rotate | RevokeFamily) or (
        isinstance(outcome, Reject) and outcome.delete_row
    )


def _row(found: repository.SessionForRefresh | None) -> SessionRow | None:
    if found is None:
        return None
    user_id, secret_hash, previous, rotated_at, expires_at, absolute, email, verified = found
    return SessionRow(
        user_id=user_id,
        secret_hash=secret_hash,
        previous_secret_hash=previous,
        rotated_at=rotated_at,
        expires_at=expires_at,
        absolute_expires_at=absolute,
        email=email,
        email_verified=verified is not None,
    )
