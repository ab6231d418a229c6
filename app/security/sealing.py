"""Sealed values: small secrets kept at rest or in a cookie, encrypted with the
deployment's own keys so that every host can open them.

A :class:`Sealer` is the token key set put to one ``purpose`` (an authenticator app's
secret, a pending sign-in, recovery codes waiting to be shown): each key gives a key of
its own for that purpose (``HMAC-SHA256(key, label)``, as the device cookies and the
session secrets derive theirs), so a value sealed for one purpose never opens as
another, nor as a token. A sealed value is a compact JWE (``dir`` + ``A256GCM``, a
random IV) whose header names the key (``kid``): the newest key seals, every key of the
set opens, and :meth:`Sealer.kid` says which key a stored value needs - ``keys prune``
keeps that key while a value names it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from joserfc import jwe
from joserfc.jwk import KeySet, OctKey

__all__ = ["SealedValueError", "Sealer"]

_ALG, _ENC = "dir", "A256GCM"
_MAX_LENGTH = 8192


class SealedValueError(Exception):
    """Not a value this deployment sealed for this purpose (or its key is gone)."""


class Sealer:
    def __init__(self, keys: KeySet, purpose: str) -> None:
        label = f"sessions-jwt/sealed/{purpose}/v1".encode()
        self._keys: dict[str, OctKey] = {}
        for key in keys.keys:
            raw: bytes = key.raw_value  # type: ignore[assignment]
            kid = str(key.kid)
            self._keys[kid] = OctKey.import_key(hmac.new(raw, label, hashlib.sha256).digest())
        self._newest = str(keys.keys[-1].kid)
        self._registry = jwe.JWERegistry(algorithms=[_ALG, _ENC])

    def seal(self, plaintext: bytes) -> str:
        header = {"alg": _ALG, "enc": _ENC, "kid": self._newest}
        return jwe.encrypt_compact(
            header, plaintext, self._keys[self._newest], registry=self._registry
        )

    def open(self, sealed: str) -> bytes:
        kid = self.kid(sealed)
        key = self._keys.get(kid) if kid is not None else None
        if key is None:
            raise SealedValueError("unknown key")
        try:
            obj = jwe.decrypt_compact(sealed, key, registry=self._registry)
        except Exception as error:  # joserfc's errors, binascii, ValueError: all "not ours"
            raise SealedValueError("not intact") from error
        if obj.plaintext is None:
            raise SealedValueError("empty")
        return obj.plaintext

    @staticmethod
    def kid(sealed: str) -> str | None:
        """The key a sealed value needs, read from its header (no key needed)."""
        if len(sealed) > _MAX_LENGTH or sealed.count(".") != 4 or not sealed.isascii():
            return None
        encoded = sealed.split(".", 1)[0]
        try:
            header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (binascii.Error, ValueError):  # JSONDecodeError and UnicodeError are both
            return None
        kid = header.get("kid") if isinstance(header, dict) else None
        return kid if isinstance(kid, str) else None
