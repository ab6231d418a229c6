"""What a new password must be (NIST 800-63B rev 4): long enough, not absurdly long, and not
common or built from the account's email or the app's name. No composition rules.

zxcvbn estimates how guessable a password is (:mod:`app.security.strength`, off the event
loop), with the email and the app's name as extra dictionary words; a score of 0 or 1
(under a million guesses) is refused. When the estimate cannot be had in time, the rule
falls back to what costs nothing: the length, the common-password list and the personal
words. The same estimate gives the live hint under the field.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from app.security.strength import StrengthEstimator

__all__ = ["PasswordPolicy", "StrengthHint"]

APP_WORDS = ("sessions", "session", "jwt", "token", "tokens", "sessionsjwt", "sessions+jwt")
MAX_EMAIL = 254
TOO_SHORT = "Use at least {min} characters for your password."
TOO_LONG = "Use at most {max} characters for your password."
TOO_COMMON = "This password is too easy to guess. A few unrelated words make a strong one."
LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")
NOT_JUDGED = "Its strength could not be judged just now; length and common passwords were."


@dataclass(frozen=True, slots=True)
class StrengthHint:
    score: int | None  # 0..4; None: zxcvbn could not answer in time
    label: str
    advice: str
    acceptable: bool  # what submitting it would do
    short_by: int = 0  # characters missing to the minimum


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 - only when needed

    return frozenset(FREQUENCY_LISTS["passwords"])


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


_REPEATED = re.compile(r"(.+?)\1+")


def _common(password: str) -> bool:
    """On the common-password list, maybe repeated and with digits or symbols around it
    ("password", "Password123!", "passwordpassword", "abcabcabcabc")."""
    common = _common_passwords()
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())
    if not core:  # digits and symbols only: refused when they barely vary ("111111111111")
        return password.lower() in common or len(set(password)) <= 3
    if core in common or password.lower() in common:
        return True
    repeated = _REPEATED.fullmatch(core)
    return repeated is not None and (repeated[1] in common or len(repeated[1]) <= 3)


class PasswordPolicy:
    def __init__(self, *, min_length: int, max_length: int, estimator: StrengthEstimator):
        self.min_length = min_length
        self.max_length = max_length
        self._estimator = estimator

    def length_problem(self, password: str) -> str | None:
        length = len(unicodedata.normalize("NFKC", password))
        if length < self.min_length:
            return TOO_SHORT.format(min=self.min_length)
        if length > self.max_length:
            return TOO_LONG.format(max=self.max_length)
        return None

    async def problem(self, password: str, email: str) -> str | None:
        """The error message for a new password, or None when it is acceptable."""
        if problem := self.length_problem(password):
            return problem
        words = _personal_words(email)
        if _built_from(password, words):
            return TOO_COMMON
        estimate = await self._estimator.estimate(password, words)
        if estimate is None:  # not judged in time: the rules that cost nothing
            return TOO_COMMON if _common(password) else None
        return TOO_COMMON if estimate.score <= 1 else None

    async def hint(self, password: str, email: str) -> StrengthHint:
        """The live hint: how strong, and whether submitting it would be accepted."""
        short_by = max(self.min_length - len(unicodedata.normalize("NFKC", password)), 0)
        if short_by or self.length_problem(password):
            return StrengthHint(None, "", "", acceptable=False, short_by=short_by)
        words = _personal_words(email)
        estimate = await self._estimator.estimate(password, words)
        if estimate is None:
            refused = _built_from(password, words) or _common(password)
            return StrengthHint(None, "Not judged", NOT_JUDGED, acceptable=not refused)
        acceptable = estimate.score > 1 and not _built_from(password, words)
        return StrengthHint(
            estimate.score, LABELS[estimate.score], estimate.advice, acceptable=acceptable
        )
