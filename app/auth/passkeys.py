"""Passkeys (WebAuthn, discoverable credentials, user verification required): adding one
to an account, and proving who one is with it - to sign in, or to confirm it's you.

``py_webauthn`` makes the options and verifies the responses; what is ours:

- **Challenges** are kept server-side (``webauthn_challenges``: a digest, what it is for,
  for whom, until when), shared by every worker and host, and taken once: a response
  whose challenge was used, has expired, or was issued for something else is refused.
- **The origin and RP ID** come from ``APP_BASE_URL`` (and ``APP_WEBAUTHN_RP_ID``);
  nothing from the request.
- **The signature counter** (:func:`counter_ok`) must go up when it counts at all; a
  passkey whose counter goes backwards may have been cloned, and is refused.
- **Each passkey** is a row of ``authenticators`` (kind ``passkey``, slot
  ``passkey:<credential id>``): its public key, counter, name, and whether it is bound to
  one device (``hwk``) or synced (``swk``) - what the session's ``amr`` records.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.auth import authenticators, repository
from app.auth.authenticators import Kind
from app.auth.notices import Notices
from app.auth.stages import Method
from app.clock import Clock
from app.db.database import Database
from app.db.models import Authenticator, User, WebAuthnChallenge
from app.mail.messages import MailKind
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind, record_event
from app.shared.clients import ClientInfo

__all__ = [
    "CHALLENGE_TTL",
    "PasskeyRefused",
    "PasskeyView",
    "Passkeys",
    "Proved",
    "Purpose",
    "counter_ok",
    "is_live",
    "purge_challenges",
]

log = structlog.get_logger("app.auth")

CHALLENGE_TTL = 300  # seconds a ceremony may take
TIMEOUT_MS = CHALLENGE_TTL * 1000
MAX_NAME = 64
MAX_CREDENTIAL = 16 * 1024  # bytes of JSON a browser's credential takes, and then some


class Purpose(StrEnum):
    REGISTER = "register"
    SIGN_IN = "sign-in"
    REAUTH = "reauth"


def is_live(expires_at: int, now: int) -> bool:
    """A challenge works until its expiry, inclusive."""
    return now <= expires_at


def counter_ok(stored: int, received: int) -> bool:
    """WebAuthn 6.1.1: an authenticator that counts must count up. Zero both times means
    it does not count (most synced passkeys)."""
    return (stored == 0 and received == 0) or received > stored


@dataclass(frozen=True, slots=True)
class PasskeyRefused:
    """Not signed in, nothing added: ``reason`` for the log, never for the page."""

    reason: str


@dataclass(frozen=True, slots=True)
class Proved:
    user: User
    method: Method  # hwk (bound to a device) or swk (synced)


@dataclass(frozen=True, slots=True)
class PasskeyView:
    id: int
    name: str
    created_at: int
    last_used_at: int | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _slot(credential_id: bytes) -> str:
    return f"passkey:{_b64(credential_id)}"


def _credential(raw: Any) -> dict[str, Any] | None:
    """A ``PublicKeyCredential.toJSON()`` as the browser posts it, or None."""
    if not isinstance(raw, dict) or not isinstance(raw.get("response"), dict):
        return None
    if not isinstance(raw.get("id"), str) or len(json.dumps(raw)) > MAX_CREDENTIAL:
        return None
    return raw


@dataclass(frozen=True, slots=True, kw_only=True)
class Passkeys:
    db: Database
    clock: Clock
    rp_id: str
    rp_name: str
    origin: str  # APP_BASE_URL's origin: the only one accepted
    notices: Notices
    available: bool  # False when the RP ID would be an IP address

    async def list(self, user: TokenClaims) -> list[PasskeyView]:
        async with self.db.read() as db:
            rows = await authenticators.all_of(db, user.user_id)
        return [
            PasskeyView(
                id=row.id,
                name=str(authenticators.data_of(row).get("name", "Passkey")),
                created_at=row.created_at,
                last_used_at=row.last_used_at,
            )
            for row in rows
            if row.kind == Kind.PASSKEY and row.id is not None
        ]

    async def registration_options(self, user: TokenClaims) -> str:
        async with self.db.read() as db:
            rows = [
                r for r in await authenticators.all_of(db, user.user_id) if r.kind == Kind.PASSKEY
            ]
        handle = next(
            (str(authenticators.data_of(r)["user_handle"]) for r in rows),
            _b64(secrets.token_bytes(32)),
        )
        challenge = await self._issue(Purpose.REGISTER, user.user_id)
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.rp_name,
            user_name=user.email,
            user_id=_unb64(handle),
            challenge=challenge,
            timeout=TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(
                    id=_unb64(str(authenticators.data_of(r)["credential_id"]))
                )
                for r in rows
            ],
        )
        return options_to_json(options)

    async def register(
        self, user: TokenClaims, name: str, raw: Any, client: ClientInfo
    ) -> PasskeyView | PasskeyRefused:
        """Verify the browser's new credential and keep it under ``name``."""
        credential = _credential(raw)
        if credential is None:
            return PasskeyRefused("malformed")
        now = self.clock.now()
        challenge = await self._take(credential, Purpose.REGISTER, user.user_id, now)
        if challenge is None:
            return PasskeyRefused("challenge")
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            log.info(
                "passkey_refused", user_id=user.user_id, step="register", error=str(error)[:120]
            )
            return PasskeyRefused("verification")
        handle = credential.get("response", {}).get("userHandle")
        async with self.db.write() as tx:
            account = await repository.find_user(tx.session, user.user_id)
            if account is None:
                return PasskeyRefused("account")
            existing = [
                r
                for r in await authenticators.all_of(tx.session, user.user_id)
                if r.kind == Kind.PASSKEY
            ]
            user_handle = (
                str(authenticators.data_of(existing[0])["user_handle"]) if existing else None
            )
            row = await authenticators.add(
                tx.session,
                user.user_id,
                Kind.PASSKEY,
                {
                    "name": name[:MAX_NAME] or "Passkey",
                    "credential_id": _b64(verified.credential_id),
                    "public_key": _b64(verified.credential_public_key),
                    "sign_count": verified.sign_count,
                    "synced": verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                    "user_handle": user_handle
                    or (handle if isinstance(handle, str) else _b64(secrets.token_bytes(32))),
                },
                now,
                slot_key=_slot(verified.credential_id),
            )
            await record_event(
                tx.session, EventKind.PASSKEY_ADDED, now, client,
                user_id=user.user_id, session_id=user.session_id,
            )  # fmt: skip
            await self.notices.passkey(tx, MailKind.PASSKEY_ADDED, account, client, now, name=name)
        assert row.id is not None  # noqa: S101 - flushed
        return PasskeyView(id=row.id, name=name, created_at=now, last_used_at=None)

    async def authentication_options(self, purpose: Purpose, user_id: int | None = None) -> str:
        challenge = await self._issue(purpose, user_id)
        options = generate_authentication_options(
            rp_id=self.rp_id,
            challenge=challenge,
            timeout=TIMEOUT_MS,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return options_to_json(options)

    async def prove(
        self, raw: Any, purpose: Purpose, *, user_id: int | None = None
    ) -> Proved | PasskeyRefused:
        """Who this assertion proves to be (for ``purpose``; for REAUTH, it must be
        ``user_id``'s own passkey). The counter moves, and the passkey was used now."""
        credential = _credential(raw)
        if credential is None:
            return PasskeyRefused("malformed")
        now = self.clock.now()
        challenge = await self._take(credential, purpose, user_id, now)
        if challenge is None:
            return PasskeyRefused("challenge")
        try:
            credential_id = _unb64(str(credential["id"]))
        except ValueError:
            return PasskeyRefused("malformed")
        async with self.db.write() as tx:
            result = await tx.session.exec(
                select(Authenticator)
                .where(col(Authenticator.slot) == _slot(credential_id))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            row = result.first()
            if row is None or row.kind != Kind.PASSKEY:
                return PasskeyRefused("unknown credential")
            if user_id is not None and row.user_id != user_id:
                return PasskeyRefused("another account's passkey")
            data = authenticators.data_of(row)
            try:
                verified = verify_authentication_response(
                    credential=credential,
                    expected_challenge=challenge,
                    expected_rp_id=self.rp_id,
                    expected_origin=self.origin,
                    credential_public_key=_unb64(str(data["public_key"])),
                    credential_current_sign_count=int(data["sign_count"]),
                    require_user_verification=True,
                )
            except (WebAuthnException, ValueError, KeyError, TypeError) as error:
                log.info(
                    "passkey_refused",
                    user_id=row.user_id,
                    step=purpose.value,
                    error=str(error)[:120],
                )
                return PasskeyRefused("verification")
            if not counter_ok(int(data["sign_count"]), verified.new_sign_count):
                return PasskeyRefused("counter")
            authenticators.set_data(row, {**data, "sign_count": verified.new_sign_count})
            row.last_used_at = now
            user = await repository.find_user(tx.session, row.user_id)
        if user is None:
            return PasskeyRefused("account")
        synced = bool(data.get("synced")) or verified.credential_backed_up
        return Proved(user, Method.SOFTWARE_KEY if synced else Method.HARDWARE_KEY)

    async def delete(self, user: TokenClaims, passkey_id: int, client: ClientInfo) -> bool:
        now = self.clock.now()
        async with self.db.write() as tx:
            row = await tx.session.get(Authenticator, passkey_id)
            account = await repository.find_user(tx.session, user.user_id)
            if (
                row is None
                or row.user_id != user.user_id
                or row.kind != Kind.PASSKEY
                or account is None
            ):
                return False
            name = str(authenticators.data_of(row).get("name", "Passkey"))
            await tx.session.delete(row)
            await record_event(
                tx.session, EventKind.PASSKEY_REMOVED, now, client,
                user_id=user.user_id, session_id=user.session_id,
            )  # fmt: skip
            await self.notices.passkey(
                tx, MailKind.PASSKEY_REMOVED, account, client, now, name=name
            )
        return True

    async def _issue(self, purpose: Purpose, user_id: int | None) -> bytes:
        challenge = secrets.token_bytes(32)
        async with self.db.write() as tx:
            tx.session.add(
                WebAuthnChallenge(
                    digest=_digest(challenge),
                    purpose=purpose.value,
                    user_id=user_id,
                    expires_at=self.clock.now() + CHALLENGE_TTL,
                )
            )
        return challenge

    async def _take(
        self, credential: dict[str, Any], purpose: Purpose, user_id: int | None, now: int
    ) -> bytes | None:
        """The challenge the browser signed, if it is one this deployment issued for this
        purpose (and person), still live and unused: it is used up now."""
        try:
            client_data = parse_client_data_json(
                _unb64(str(credential["response"]["clientDataJSON"]))
            )
        except Exception:
            return None
        challenge = client_data.challenge
        async with self.db.write() as tx:
            found = await tx.session.exec(
                select(WebAuthnChallenge)
                .where(col(WebAuthnChallenge.digest) == _digest(challenge))
                .with_for_update()
            )
            row = found.first()
            if row is None:
                return None
            await tx.session.delete(row)  # used, whatever the answer: it works once
            if row.purpose != purpose.value or row.user_id != user_id:
                return None
            if not is_live(row.expires_at, now):
                return None
        return challenge


async def purge_challenges(db: AsyncSession, now: int) -> int:
    """Challenges past their expiry (never used: the browser gave up)."""
    result = await db.exec(delete(WebAuthnChallenge).where(col(WebAuthnChallenge.expires_at) < now))
    return int(result.rowcount or 0)
