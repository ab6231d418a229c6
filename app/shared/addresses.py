"""Email addresses: what is stored and shown, and the key two spellings of one address share.

- :func:`normalize_email` validates an address (``email-validator``), NFKC-normalises it
  (full-width letters are plain ones) and lower-cases it; a local part that mixes
  scripts (a Cyrillic letter among Latin ones) is refused, since it exists to look like
  another address.
- :func:`email_key` is what uniqueness and look-ups use: the NFKC form, case-folded
  (``straße`` and ``strasse`` are one account).
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

__all__ = ["MAX_EMAIL_LENGTH", "email_key", "normalize_email"]

MAX_EMAIL_LENGTH = 254
EMAIL_MISSING = "Enter your email address."
EMAIL_TOO_LONG = f"That email address is too long ({MAX_EMAIL_LENGTH} characters at most)."
EMAIL_INVALID = "That is not a valid email address."
EMAIL_MIXED_SCRIPTS = (
    "That email address mixes letters from different alphabets. Please type it in one."
)
# Scripts that are written together: Japanese mixes kanji with both kana.
_WRITTEN_TOGETHER = frozenset({"CJK", "HIRAGANA", "KATAKANA"})


def email_key(email: str) -> str:
    return unicodedata.normalize("NFKC", email).casefold()


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def mixes_scripts(local_part: str) -> bool:
    scripts = {_script(c) for c in local_part if c.isalpha()}
    if scripts <= _WRITTEN_TOGETHER:
        return False
    return len(scripts) > 1


def normalize_email(raw: str) -> tuple[str, str | None]:
    """(normalized email, error message or None). Trimmed, NFKC, lower-cased, validated."""
    email = unicodedata.normalize("NFKC", raw.strip())
    if not email:
        return email, EMAIL_MISSING
    if len(email) > MAX_EMAIL_LENGTH:
        return email[:MAX_EMAIL_LENGTH], EMAIL_TOO_LONG
    try:
        info = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return email, EMAIL_INVALID
    normalized = unicodedata.normalize("NFKC", info.normalized).lower()
    if len(normalized) > MAX_EMAIL_LENGTH:
        return email, EMAIL_TOO_LONG
    if mixes_scripts(normalized.rsplit("@", 1)[0]):
        return email, EMAIL_MIXED_SCRIPTS
    return normalized, None
