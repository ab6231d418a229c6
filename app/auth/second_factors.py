"""An account's second factors: the authenticator app (TOTP) and its recovery codes.

Setting the app up, turning it on with a first code, turning it off, showing new
recovery codes once and making new ones are the signed-in person's (the routes ask for
a fresh proof first: ``app.web.reauth``); :meth:`SecondFactors.prove` is the second step
of signing in, inside the transaction that starts the session.

Where each secret lives:

- the app's secret: ``totp_factors.secret``, sealed with the deployment's keys for this
  purpose (``app.security.sealing``); it leaves the server only on the set-up page;
- the last time step accepted, beside it: a code is accepted once (``app.auth.totp``);
- recovery codes: SHA-256 digests (``app.auth.recovery_codes``); new ones wait sealed in
  ``totp_factors.codes_to_show`` until the page shows them, once.

Every change is one transaction with its activity-log entry and its notice mail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import delete, func, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import recovery_codes, repository, totp
from app.auth.notices import Notices
from app.auth.stages import Method
from app.auth.types import WrongCode
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import RecoveryCode, TotpFactor, User
from app.mail.messages import MailKind
from app.security.sealing import SealedValueError, Sealer
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = ["AlreadyOn", "CodesPage", "FactorsOverview", "SecondFactors", "sealed_key_ids"]


@dataclass(frozen=True, slots=True)
class AlreadyOn:
    """The authenticator app is on already (another tab turned it on)."""


@dataclass(frozen=True, slots=True)
class FactorsOverview:
    totp_on: bool
    codes_left: int


@dataclass(frozen=True, slots=True)
class CodesPage:
    left: int
    fresh: list[str] | None  # new codes, shown this once; None once they have been


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondFactors:
    db: Database
    clock: Clock
    secrets: Sealer  # purpose "totp-secret"
    codes: Sealer  # purpose "recovery-codes-to-show"
    notices: Notices

    async def enrolled(self, db: AsyncSession, user_id: int) -> frozenset[Method]:
        """The second factors signing in asks for."""
        row = await db.get(TotpFactor, user_id)
        return frozenset({Method.ONE_TIME_CODE}) if row and row.enabled_at else frozenset()

    async def overview(self, user: TokenClaims) -> FactorsOverview:
        async with self.db.read() as db:
            row = await db.get(TotpFactor, user.user_id)
            left = await _codes_left(db, user.user_id)
        on = row is not None and row.enabled_at is not None
        return FactorsOverview(totp_on=on, codes_left=left if on else 0)

    async def setup_secret(self, user: TokenClaims) -> str | None:
        """The secret being set up (made on first asking, then the same until it is
        confirmed); None if the app is on already."""
        async with self.db.read() as db:
            row = await db.get(TotpFactor, user.user_id)
        if row is None:
            try:
                async with self.db.write() as tx:
                    row = TotpFactor(
                        user_id=user.user_id,
                        secret=self.secrets.seal(totp.new_secret().encode()),
                        created_at=self.clock.now(),
                    )
                    tx.session.add(row)
            except IntegrityError:  # another tab made it first: that one it is
                async with self.db.read() as db:
                    row = await db.get(TotpFactor, user.user_id)
        if row is None or row.enabled_at is not None:
            return None
        return self._secret(row)

    async def enable(
        self, user: TokenClaims, code: str, client: ClientInfo
    ) -> WrongCode | AlreadyOn | None:
        """Turn the app on with a first code of the secret being set up; make the
        account's recovery codes."""
        now = self.clock.now()
        typed = totp.normalize_code(code)
        async with self.db.write() as tx:
            row = await _locked(tx.session, user.user_id)
            if row is not None and row.enabled_at is not None:
                return AlreadyOn()
            account = await repository.find_user(tx.session, user.user_id)
            step = (
                totp.matching_step(self._secret(row), typed, now, last_step=row.last_step)
                if row is not None and typed is not None
                else None
            )
            if row is None or account is None or step is None:
                return WrongCode()
            row.enabled_at, row.last_step = now, step  # the setup code never works again
            await self._new_codes(tx, row, now)
            await record_event(
                tx.session,
                EventKind.TOTP_ENABLED,
                now,
                client,
                user_id=user.user_id,
                session_id=user.session_id,
            )
            await self.notices.second_factor(tx, MailKind.TWO_FACTOR_ON, account, client, now)
        return None

    async def disable(self, user: TokenClaims, client: ClientInfo) -> bool:
        """Turn the app off; its recovery codes go with it. False if it was not on."""
        now = self.clock.now()
        async with self.db.write() as tx:
            row = await _locked(tx.session, user.user_id)
            account = await repository.find_user(tx.session, user.user_id)
            if row is None or row.enabled_at is None or account is None:
                return False
            await tx.session.exec(
                delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.user_id)
            )
            await tx.session.delete(row)
            await record_event(
                tx.session,
                EventKind.TOTP_DISABLED,
                now,
                client,
                user_id=user.user_id,
                session_id=user.session_id,
            )
            await self.notices.second_factor(tx, MailKind.TWO_FACTOR_OFF, account, client, now)
        return True

    async def codes_page(self, user: TokenClaims) -> CodesPage | None:
        """How many codes are left, and new ones this once; None if the app is off."""
        async with self.db.write() as tx:
            row = await _locked(tx.session, user.user_id)
            if row is None or row.enabled_at is None:
                return None
            fresh = None
            if row.codes_to_show is not None:
                try:
                    fresh = json.loads(self.codes.open(row.codes_to_show))
                except (SealedValueError, ValueError):
                    fresh = None  # unreadable (its key pruned): "make new ones" remains
                row.codes_to_show = None
            left = await _codes_left(tx.session, user.user_id)
        return CodesPage(left=left, fresh=fresh)

    async def regenerate(self, user: TokenClaims, client: ClientInfo) -> bool:
        """Ten new codes; the old ones stop working at once. False if the app is off."""
        now = self.clock.now()
        async with self.db.write() as tx:
            row = await _locked(tx.session, user.user_id)
            account = await repository.find_user(tx.session, user.user_id)
            if row is None or row.enabled_at is None or account is None:
                return False
            await self._new_codes(tx, row, now)
            await record_event(
                tx.session,
                EventKind.RECOVERY_CODES_MADE,
                now,
                client,
                user_id=user.user_id,
                session_id=user.session_id,
            )
            await self.notices.second_factor(tx, MailKind.RECOVERY_CODES_MADE, account, client, now)
        return True

    async def prove(
        self, tx: Tx, user: User, code: str, client: ClientInfo, now: int
    ) -> Method | None:
        """The second step of a sign-in, in its transaction: a code of the app from a step
        later than the last accepted one (which becomes the last), or an unused recovery
        code (used up, and a mail says so). None if ``code`` is neither."""
        if user.id is None:
            return None
        row = await _locked(tx.session, user.id)
        if row is None or row.enabled_at is None:
            return None
        if (typed := totp.normalize_code(code)) is not None:
            step = totp.matching_step(self._secret(row), typed, now, last_step=row.last_step)
            if step is None:
                return None
            row.last_step = step
            await tx.session.flush()
            return Method.ONE_TIME_CODE
        if (normal := recovery_codes.normalize(code)) is None:
            return None
        unused = await tx.session.exec(
            select(RecoveryCode.id, RecoveryCode.code_hash).where(
                col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None)
            )
        )
        found = recovery_codes.matching(normal, [(i, h) for i, h in unused.all() if i is not None])
        if found is None:
            return None
        used = await tx.session.exec(
            update(RecoveryCode)
            .where(col(RecoveryCode.id) == found, col(RecoveryCode.used_at).is_(None))
            .values(used_at=now)
        )
        if used.rowcount != 1:  # a concurrent sign-in used it first
            return None
        left = await _codes_left(tx.session, user.id)
        await self.notices.second_factor(
            tx, MailKind.RECOVERY_CODE_USED, user, client, now, left=left
        )
        return Method.RECOVERY_CODE

    def _secret(self, row: TotpFactor) -> str:
        return self.secrets.open(row.secret).decode()

    async def _new_codes(self, tx: Tx, row: TotpFactor, now: int) -> None:
        await tx.session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == row.user_id))
        codes = recovery_codes.generate()
        for code in codes:
            normal = recovery_codes.normalize(code)
            assert normal is not None  # noqa: S101 - generate() writes only valid codes
            tx.session.add(
                RecoveryCode(
                    user_id=row.user_id, code_hash=recovery_codes.digest(normal), created_at=now
                )
            )
        row.codes_to_show = self.codes.seal(json.dumps(codes).encode())
        tx.session.add(row)
        await tx.session.flush()


async def _locked(db: AsyncSession, user_id: int) -> TotpFactor | None:
    """The account's app row, locked until the transaction ends (``FOR UPDATE`` on
    PostgreSQL; SQLite's write transaction holds the one write lock): two sign-ins with
    one code, or two tabs turning it on, are one after the other."""
    result = await db.exec(
        select(TotpFactor)
        .where(col(TotpFactor.user_id) == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.first()


async def _codes_left(db: AsyncSession, user_id: int) -> int:
    result = await db.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user_id, col(RecoveryCode.used_at).is_(None))
    )
    return int(result.one())


async def sealed_key_ids(db: Database) -> set[str]:
    """The keys the stored secrets are sealed with: ``keys prune`` keeps them."""
    async with db.engine.connect() as connection:
        if not await connection.run_sync(lambda c: inspect(c).has_table("totp_factors")):
            return set()  # a database never migrated holds no secret
    async with db.read() as session:
        rows = (await session.exec(select(TotpFactor.secret, TotpFactor.codes_to_show))).all()
    kids = {Sealer.kid(value) for row in rows for value in row if value is not None}
    return {kid for kid in kids if kid is not None}
