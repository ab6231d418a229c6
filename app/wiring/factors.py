"""The second factors: the authenticator app and recovery codes, passkeys, and the sealed
cookie a sign-in waits in between its proofs - each secret sealed for its own purpose."""

from __future__ import annotations

from typing import NamedTuple

from joserfc.jwk import KeySet

from app.auth.notices import Notices
from app.auth.passkeys import Passkeys
from app.auth.pending import PendingSignIns
from app.auth.second_factors import SecondFactors
from app.clock import Clock
from app.config import Settings
from app.db.database import Database
from app.security.sealing import Sealer

__all__ = ["Factors", "second_factors_of"]


class Factors(NamedTuple):
    second_factors: SecondFactors
    passkeys: Passkeys
    pending: PendingSignIns


def second_factors_of(
    settings: Settings, db: Database, clock: Clock, keys: KeySet, notices: Notices
) -> Factors:
    second_factors = SecondFactors(
        db=db,
        clock=clock,
        secrets=Sealer(keys, "totp-secret"),
        codes=Sealer(keys, "recovery-codes-to-show"),
        notices=notices,
    )
    passkeys = Passkeys(
        db=db,
        clock=clock,
        rp_id=settings.resolved_rp_id,
        rp_name=settings.totp_issuer,
        origin=settings.base_origin,
        notices=notices,
        available=settings.passkeys_available,
    )
    pending = PendingSignIns(Sealer(keys, "pending-sign-in"), ttl=settings.mfa_challenge_ttl)
    return Factors(second_factors, passkeys, pending)
