"""The authenticator app's codes (TOTP, RFC 6238: HMAC-SHA-1, six digits, 30-second
steps) and the one rule that accepts them, a pure function of the secret, the code, the
app's clock and the last step accepted.

``pyotp`` does the arithmetic only (``TOTP.at``); its ``verify()`` keeps no state, so a
code could be used twice inside its window. RFC 6238 section 5.2: "the verifier MUST NOT
accept the second attempt of the OTP after the successful validation has been issued for
the first OTP". Here each account stores the last time step it accepted, and only a code
of a *later* step passes: the code that turned the app on, a code already used to sign
in, and any code older than one already used are all refused. One step either side of
now is accepted (a phone's clock drifts, a person types slowly); two are not.

Proved by ``tests/unit/test_totp.py``.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets

import pyotp

__all__ = [
    "DIGITS",
    "SECRET_BYTES",
    "STEP",
    "grouped",
    "matching_step",
    "new_secret",
    "normalize_code",
    "provisioning_uri",
]

STEP = 30  # seconds
DIGITS = 6
SECRET_BYTES = 20  # 160 bits: RFC 4226's recommended length for HMAC-SHA-1
DRIFT = 1  # steps accepted either side of now
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A fresh secret, base32 (what authenticator apps are given), no padding."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def grouped(secret: str) -> str:
    """The secret as a person types it: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalize_code(text: str) -> str | None:
    """Six digits, with any spaces a person or an app put between them removed."""
    code = "".join(text.split())
    return code if _CODE.fullmatch(code) else None


def matching_step(secret: str, code: str, now: int, *, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is valid now (this step or one either
    side) and later than ``last_step``; else None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    current = now // STEP
    for step in (current, current - DRIFT, current + DRIFT):
        if last_step is not None and step <= last_step:
            continue
        if step >= 0 and hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
        name=account, issuer_name=issuer
    )
