"""The auth token: a compact JWE (``dir`` + ``A256GCM``) carrying the claims below.

Decoding checks the cryptography and the claim *types*; it does not judge time.
Every time boundary belongs to :mod:`app.auth.refresh` (a past-``exp`` token is
still the refresh vehicle that tier 3 needs to read). Any failure at all -
joserfc's errors, ``ValueError``, ``binascii.Error``, ``TypeError`` on garbage -
becomes the one :class:`InvalidTokenError`.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from joserfc import jwe
from joserfc.jwa import GCMEncModel, JWEEncModel
from joserfc.jwk import KeySet

__all__ = [
    "ALLOWED_ALGORITHMS",
    "LEGACY_AMR",
    "InvalidTokenError",
    "TokenClaims",
    "TokenCodec",
]

ALG = "dir"
ENC = "A256GCM"
ALLOWED_ALGORITHMS = (ALG, ENC)
_ALLOWED_HEADER = frozenset({"alg", "enc", "kid", "typ"})
MAX_TOKEN_LENGTH = 4096
_MAX_TIME = 2**53
_USER_ID = re.compile(r"[1-9][0-9]{0,17}")  # ASCII only: int() reads other digits
_METHOD = re.compile(r"[a-z]{2,8}")
_MAX_METHODS = 4
LEGACY_AMR = ("pwd",)  # a token minted before `amr` existed: a password sign-in


_IV_LABEL = b"sessions-jwt/token-synthetic-iv/v1"


class _SyntheticIV(jwe.JWERegistry):
    """A256GCM with an IV derived from the key and the whole plaintext (header and claims)
    instead of drawn at random: an IV repeats only with the very same plaintext, whose
    ciphertext is then the same too, so GCM's one rule (never one IV for two plaintexts)
    holds, and equal claims encrypt to equal tokens."""

    def __init__(self, iv: bytes) -> None:
        super().__init__(algorithms=list(ALLOWED_ALGORITHMS))
        self._enc = _FixedIV(iv)

    def get_enc(self, name: str) -> JWEEncModel:
        if name != ENC:
            return super().get_enc(name)
        return self._enc


class _FixedIV(GCMEncModel):
    def __init__(self, iv: bytes) -> None:
        super().__init__(256)
        self._iv = iv

    def generate_iv(self) -> bytes:
        return self._iv


class InvalidTokenError(Exception):
    """The token is not one of ours, or not intact. The cause is chained, never shown."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    email: str
    session_id: str  # the public id of the session (its family); never a secret
    secret: str  # the session's current refresh secret (the seed's "sessionid")
    session_started_at: int
    issued_at: int
    access_until: int  # end of the access window (the seed's "cookie expiry")
    expires_at: int  # hard expiry (the seed's "jwt expiry"); never moved by a renewal
    session_expires_at: int  # the session's idle/absolute expiry as of minting
    # How and when the person last proved who they are (OIDC's ``auth_time`` and ``amr``,
    # RFC 8176 values such as "pwd", "otp", "hwk"): copied by every renewal and rotation,
    # so "proved within five minutes?" is a question the token alone answers.
    auth_time: int
    amr: tuple[str, ...]
    email_verified: bool = False  # as of minting (a cache, refreshed at each rotation)

    def to_claims(self) -> dict[str, Any]:
        return {
            "sub": str(self.user_id),
            "email": self.email,
            "sid": self.session_id,
            "rt": self.secret,
            "sat": self.session_started_at,
            "iat": self.issued_at,
            "aex": self.access_until,
            "exp": self.expires_at,
            "sxp": self.session_expires_at,
            "auth_time": self.auth_time,
            "amr": list(self.amr),
            "evf": 1 if self.email_verified else 0,
        }

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> TokenClaims:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not _USER_ID.fullmatch(sub):
            raise ValueError("sub")
        started = _time(claims, "sat")
        return cls(
            user_id=int(sub),
            email=_string(claims, "email", 254),
            session_id=_string(claims, "sid", 64),
            secret=_string(claims, "rt", 64),
            session_started_at=started,
            issued_at=_time(claims, "iat"),
            access_until=_time(claims, "aex"),
            expires_at=_time(claims, "exp"),
            session_expires_at=_time(claims, "sxp"),
            # A token minted before these claims existed was a password sign-in.
            auth_time=_time(claims, "auth_time") if "auth_time" in claims else started,
            amr=_methods(claims) if "amr" in claims else LEGACY_AMR,
            email_verified=_flag(claims, "evf"),
        )


def _string(claims: dict[str, Any], name: str, max_length: int) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        raise ValueError(name)
    return value


def _methods(claims: dict[str, Any]) -> tuple[str, ...]:
    """``amr``: a short list of short lower-case names (RFC 8176)."""
    value = claims.get("amr")
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= _MAX_METHODS
        or not all(isinstance(v, str) and _METHOD.fullmatch(v) for v in value)
    ):
        raise ValueError("amr")
    return tuple(value)


def _flag(claims: dict[str, Any], name: str) -> bool:
    """0 or 1; absent (a token minted before the claim existed) is 0."""
    value = claims.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1):
        raise ValueError(name)
    return bool(value)


def _time(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    # bool is an int in Python, and JSON's 1e309 is a float infinity: neither is a time.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_TIME:
        raise ValueError(name)
    return value


class TokenCodec:
    def __init__(self, keys: KeySet) -> None:
        if not keys.keys:
            raise ValueError("the key set is empty")
        self._keys = keys
        self._current = keys.keys[-1]
        self._registry = jwe.JWERegistry(algorithms=list(ALLOWED_ALGORITHMS))
        self._iv_key: bytes | None = None  # derived from the newest key on first use

    def encode(self, claims: TokenClaims) -> str:
        """The same claims always give the same token (a synthetic IV, below): two
        processes that mint one session's successor hand the browser one cookie value."""
        header = {"alg": ALG, "enc": ENC, "kid": self._current.kid}
        payload = json.dumps(claims.to_claims(), separators=(",", ":")).encode()
        if self._iv_key is None:
            raw: bytes = self._current.raw_value  # type: ignore[assignment]
            self._iv_key = hmac.new(raw, _IV_LABEL, "sha256").digest()
        iv = hmac.new(self._iv_key, json.dumps(header).encode() + b"." + payload, "sha256")
        registry = _SyntheticIV(iv.digest()[:12])
        return jwe.encrypt_compact(header, payload, self._current, registry=registry)

    def decode(self, token: str) -> TokenClaims:
        try:
            if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 4 or not token.isascii():
                raise ValueError("not a compact JWE")
            obj = jwe.decrypt_compact(token, self._keys, registry=self._registry)
            header = obj.headers()
            if (
                header.get("alg") != ALG
                or header.get("enc") != ENC
                or not set(header) <= _ALLOWED_HEADER
                or not isinstance(header.get("kid"), str)
            ):
                raise ValueError("header")
            if obj.plaintext is None:
                raise ValueError("empty")
            claims = json.loads(obj.plaintext)
            if not isinstance(claims, dict):
                raise ValueError("claims")
            return TokenClaims.from_claims(claims)
        except InvalidTokenError:
            raise
        except Exception as error:  # garbage raises almost anything; all of it means "not ours"
            raise InvalidTokenError("invalid token") from error
