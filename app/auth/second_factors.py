"""An account's second factors: the authenticator app (TOTP) and its recovery codes.

Setting the app up, turning it on with a first code, turning it off, showing new
recovery codes once and making new ones are the signed-in person's (the routes ask for
a fresh proof first: ``app.web.reauth``); :meth:`SecondFactors.prove` is the second step
of signing in, inside the transaction that starts the session.

Where each secret lives (rows of ``authenticators``, ``app.auth.authenticators``):

- the app's secret: the ``totp`` row's ``data.secret`` (``totp-setup`` until its first
  code), sealed with the deployment's keys for this purpose (``app.security.sealing``);
  it leaves the server only on the set-up page;
- the last time step accepted, beside it (``data.last_step``): a code is accepted once
  (``app.auth.totp``);
- recovery codes: the ``recovery-codes`` row's ``data.unused``, SHA-256 digests
  (``app.auth.recovery_codes``); new ones wait sealed in ``data.to_show`` until the
  page shows them, once.

Every change is one transaction with its activity-log entry and its notice mail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth import authenticators, recovery_codes, repository, totp
from app.auth.authenticators import Kind
from app.auth.notices import Notices
from app.auth.stages import Method
from app.auth.types import WrongCode
from app.clock import Clock
from app.db.database import Database, Tx
from app.db.models import Authenticator, User
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
        kinds = {row.kind for row in await authenticators.all_of(db, user_id)}
        return frozenset({Method.ONE_TIME_CODE}) if Kind.TOTP in kinds else frozenset()

    async def overview(self, user: TokenClaims) -> FactorsOverview:
        async with self.db.read() as db:
            rows = {row.kind: row for row in await authenticators.all_of(db, user.user_id)}
        codes = rows.get(Kind.RECOVERY_CODES)
        left = len(authenticators.data_of(codes)["unused"]) if codes is not None else 0
        return FactorsOverview(totp_on=Kind.TOTP in rows, codes_left=left)

    async def setup_secret(self, user: TokenClaims) -> str | None:
        """The secret being set up (made on first asking, then the same until it is
        confirmed); None if the app is on already."""
        async with self.db.read() as db:
            row = await _app_row(db, user.user_id)
        if row is None:
            try:
                async with self.db.write() as tx:
                    sealed = self.secrets.seal(totp.new_secret().encode())
                    row = await authenticators.add(
                        tx.session,
                        user.user_id,
                        Kind.TOTP_SETUP,
                        {"secret": sealed},
                        self.clock.now(),
                        slot_key=authenticators.slot(Kind.TOTP_SETUP, user.user_id),
                    )
            except IntegrityError:  # another tab made it first: that one it is
                async with self.db.read() as db:
                    row = await _app_row(db, user.user_id)
        if row is None or row.kind != Kind.TOTP_SETUP:
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
            if await authenticators.locked(tx.session, user.user_id, Kind.TOTP) is not None:
                return AlreadyOn()
            row = await authenticators.locked(tx.session, user.user_id, Kind.TOTP_SETUP)
            account = await repository.find_user(tx.session, user.user_id)
            step = (
                totp.matching_step(self._secret(row), typed, now, last_step=None)
                if row is not None and typed is not None
                else None
            )
            if row is None or account is None or step is None:
                return WrongCode()
            row.kind = Kind.TOTP.value  # on; the setup code never works again:
            authenticators.set_data(row, {**authenticators.data_of(row), "last_step": step})
            await self._new_codes(tx, user.user_id, now)
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
            row = await authenticators.locked(tx.session, user.user_id, Kind.TOTP)
            account = await repository.find_user(tx.session, user.user_id)
            if row is None or account is None:
                return False
            await authenticators.remove(tx.session, user.user_id, Kind.TOTP, Kind.RECOVERY_CODES)
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
            row = await authenticators.locked(tx.session, user.user_id, Kind.RECOVERY_CODES)
            if row is None:
                return None
            data = authenticators.data_of(row)
            fresh = None
            if data.get("to_show") is not None:
                try:
                    fresh = json.loads(self.codes.open(data["to_show"]))
                except (SealedValueError, ValueError):
                    fresh = None  # unreadable (its key pruned): "make new ones" remains
                authenticators.set_data(row, {**data, "to_show": None})
        return CodesPage(left=len(data["unused"]), fresh=fresh)

    async def regenerate(self, user: TokenClaims, client: ClientInfo) -> bool:
        """Ten new codes; the old ones stop working at once. False if the app is off."""
        now = self.clock.now()
        async with self.db.write() as tx:
            on = await authenticators.locked(tx.session, user.user_id, Kind.TOTP)
            account = await repository.find_user(tx.session, user.user_id)
            if on is None or account is None:
                return False
            await self._new_codes(tx, user.user_id, now)
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
        app = await authenticators.locked(tx.session, user.id, Kind.TOTP)
        if app is None:
            return None
        if (typed := totp.normalize_code(code)) is not None:
            data = authenticators.data_of(app)
            step = totp.matching_step(self._secret(app), typed, now, last_step=data["last_step"])
            if step is None:
                return None
            authenticators.set_data(app, {**data, "last_step": step})
            app.last_used_at = now
            await tx.session.flush()
            return Method.ONE_TIME_CODE
        codes = await authenticators.locked(tx.session, user.id, Kind.RECOVERY_CODES)
        normal = recovery_codes.normalize(code)
        if codes is None or normal is None:
            return None
        data = authenticators.data_of(codes)
        unused: list[str] = data["unused"]
        found = recovery_codes.matching(normal, enumerate(unused))
        if found is None:
            return None
        left = [digest for i, digest in enumerate(unused) if i != found]
        authenticators.set_data(codes, {**data, "unused": left})
        codes.last_used_at = now
        await tx.session.flush()
        await self.notices.second_factor(
            tx, MailKind.RECOVERY_CODE_USED, user, client, now, left=len(left)
        )
        return Method.RECOVERY_CODE

    def _secret(self, row: Authenticator) -> str:
        return self.secrets.open(authenticators.data_of(row)["secret"]).decode()

    async def _new_codes(self, tx: Tx, user_id: int, now: int) -> None:
        await authenticators.remove(tx.session, user_id, Kind.RECOVERY_CODES)
        codes = recovery_codes.generate()
        digests = []
        for code in codes:
            normal = recovery_codes.normalize(code)
            assert normal is not None  # noqa: S101 - generate() writes only valid codes
            digests.append(recovery_codes.digest(normal))
        await authenticators.add(
            tx.session,
            user_id,
            Kind.RECOVERY_CODES,
            {"unused": digests, "to_show": self.codes.seal(json.dumps(codes).encode())},
            now,
            slot_key=authenticators.slot(Kind.RECOVERY_CODES, user_id),
        )


async def _app_row(db: AsyncSession, user_id: int) -> Authenticator | None:
    result = await db.exec(
        select(Authenticator).where(
            col(Authenticator.slot) == authenticators.slot(Kind.TOTP, user_id)
        )
    )
    return result.first()


async def sealed_key_ids(db: Database) -> set[str]:
    """The keys the stored secrets are sealed with: ``keys prune`` keeps them."""
    async with db.engine.connect() as connection:
        if not await connection.run_sync(lambda c: inspect(c).has_table("authenticators")):
            return set()  # a database never migrated holds no secret
    async with db.read() as session:
        rows = (await session.exec(select(Authenticator))).all()
    kids = set()
    for row in rows:
        for value in authenticators.data_of(row).values():
            if isinstance(value, str) and (kid := Sealer.kid(value)) is not None:
                kids.add(kid)
    return kids
