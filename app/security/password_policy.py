"""What a new password must be (NIST 800-63B rev 4): long enough, not absurdly long, and not
common or built from the account's email or the app's name. No composition rules.

zxcvbn estimates how guessable a password is, with the email and the app's name as
extra dictionary words; a score of 0 or 1 (under a million guesses) is refused. The
same estimate gives the live hint under the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from zxcvbn import zxcvbn

__all__ = ["StrengthHint", "check_new_password", "strength_hint"]

APP_WORDS = ("sessions", "session", "jwt", "token", "tokens", "sessionsjwt", "sessions+jwt")
# zxcvbn's l33t matching grows steeply with length (a crafted 72-character password took
# seconds); the start of a password is judged, its length is judged by the length rule.
ZXCVBN_MAX = 20
MAX_EMAIL = 254
TOO_SHORT = "Use at least {min} characters for your password."
TOO_LONG = "Use at most {max} characters for your password."
TOO_COMMON = "This password is too easy to guess. A few unrelated words make a strong one."
LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


@dataclass(frozen=True, slots=True)
class StrengthHint:
    score: int  # 0..4
    label: str
    advice: str


def _personal_words(email: str) -> list[str]:
    """The email, its parts (split on anything that is not a letter) and the app's name."""
    email = email[:MAX_EMAIL].lower()
    parts = [w for w in re.split(r"[^a-z]+", email) if len(w) >= 2]
    return [email, email.split("@", 1)[0], *parts, *APP_WORDS]


def _built_from(password: str, words: list[str]) -> bool:
    """True when the password's letters are nothing but these words, in any order and
    repeated ("Sessions + JWT 2027", "alicesmith2027!"): digits and symbols add little."""
    core = re.sub(r"[^a-z]+", "", password.lower())
    pieces = {w for w in (re.sub(r"[^a-z]+", "", w) for w in words) if len(w) >= 2}
    if not core:
        return False  # digits and symbols alone: zxcvbn judges them
    reachable = [True] + [False] * len(core)
    for end in range(1, len(core) + 1):
        reachable[end] = any(
            reachable[end - len(p)] and core.endswith(p, 0, end) for p in pieces if len(p) <= end
        )
    return reachable[-1]


def _estimate(password: str, email: str) -> tuple[int, str]:
    """(zxcvbn score 0..4, its advice)."""
    inputs = _personal_words(email)
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
    if _built_from(password, _personal_words(email)) or _estimate(password, email)[0] <= 1:
        return TOO_COMMON
    return None


def strength_hint(password: str, email: str) -> StrengthHint:
    score, advice = _estimate(password, email)
    return StrengthHint(score=score, label=LABELS[score], advice=advice)
