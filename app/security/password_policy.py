"""What a new password must be (NIST 800-63B rev 4): long enough, not absurdly long, and not
common or built from the account's email or the app's name. No composition rules.

zxcvbn estimates how guessable a password is, with the email and the app's name as
extra dictionary words; a score of 0 or 1 (under a million guesses) is refused. The
same estimate gives the live hint under the field.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from zxcvbn import zxcvbn

__all__ = ["StrengthHint", "check_new_password", "strength_hint"]

APP_WORDS = ("sessions", "jwt", "sessionsjwt", "sessions+jwt", "session", "token")
ZXCVBN_MAX = 72  # zxcvbn's own limit; longer passwords are judged by their start
TOO_SHORT = "Use at least {min} characters for your password."
TOO_LONG = "Use at most {max} characters for your password."
TOO_COMMON = "This password is too easy to guess. A few unrelated words make a strong one."
LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


@dataclass(frozen=True, slots=True)
class StrengthHint:
    score: int  # 0..4
    label: str
    advice: str


def _estimate(password: str, email: str) -> tuple[int, str]:
    """(zxcvbn score 0..4, its advice)."""
    local = email.split("@", 1)[0]
    inputs = [w for w in (email, local, *local.replace(".", " ").split(), *APP_WORDS) if w]
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs)
    feedback = result["feedback"]
    advice = feedback["warning"] or " ".join(feedback["suggestions"])
    return int(result["score"]), advice


def check_new_password(
    password: str, email: str, *, min_length: int, max_length: int
) -> str | None:
    """The error message for a new password, or None when it is acceptable."""
    length = len(unicodedata.normalize("NFKC", password))
    if length < min_length:
        return TOO_SHORT.format(min=min_length)
    if length > max_length:
        return TOO_LONG.format(max=max_length)
    if _estimate(password, email)[0] <= 1:
        return TOO_COMMON
    return None


def strength_hint(password: str, email: str) -> StrengthHint:
    score, advice = _estimate(password, email)
    return StrengthHint(score=score, label=LABELS[score], advice=advice)
