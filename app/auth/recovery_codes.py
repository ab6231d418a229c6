"""Recovery codes: the way back in when the phone with the authenticator app is lost.

Ten at a time, each 60 random bits from :mod:`secrets` written as three groups of four
characters of Crockford's base32 (``k7qm-2xhp-9wdr``). Typing ignores case, spaces and
hyphens, and reads I, L and O as the digits they look like. Only a SHA-256 of the
normalised code is kept: a slow password hash buys nothing against 2**60 guesses per
code, and online guessing goes through the second step's throttles. A match is found by
comparing digests in constant time; a code works once.

Proved by ``tests/unit/test_recovery_codes.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

__all__ = ["ALPHABET", "COUNT", "digest", "generate", "matching", "normalize"]

COUNT = 10
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o or u
_LOOK_ALIKES = str.maketrans("ilo", "110")  # read as Crockford does
_GROUPS, _GROUP = 3, 4  # 12 characters of 5 bits: 60 bits


def generate(count: int = COUNT) -> list[str]:
    return [
        "-".join("".join(secrets.choice(ALPHABET) for _ in range(_GROUP)) for _ in range(_GROUPS))
        for _ in range(count)
    ]


def normalize(text: str) -> str | None:
    """The code as stored (lower case, no spaces or hyphens), or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").lower().translate(_LOOK_ALIKES)
    if len(code) != _GROUPS * _GROUP or not set(code) <= set(ALPHABET):
        return None
    return code


def digest(code: str) -> str:
    """The stored form of a normalised code."""
    return hashlib.sha256(code.encode()).hexdigest()


def matching(code: str, digests: Iterable[tuple[int, str]]) -> int | None:
    """The id of the stored code ``code`` (normalised) is, comparing every digest."""
    wanted = digest(code)
    found = None
    for code_id, stored in digests:
        if hmac.compare_digest(stored, wanted):
            found = code_id
    return found
