"""Form input: read fields leniently, validate strictly, answer in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from email_validator import EmailNotValidError, validate_email
from litestar import Request
from litestar.datastructures import MultiDict
from litestar.exceptions import ClientException

from app.config import Settings
from app.security.password_policy import check_new_password

__all__ = [
    "MAX_EMAIL_LENGTH",
    "CredentialsForm",
    "field_text",
    "read_form",
    "safe_next",
]

MAX_EMAIL_LENGTH = 254

EMAIL_MISSING = "Enter your email address."
EMAIL_TOO_LONG = f"That email address is too long ({MAX_EMAIL_LENGTH} characters at most)."
EMAIL_INVALID = "That is not a valid email address."
PASSWORD_MISMATCH = "The two passwords do not match."


NOT_TEXT = "The form could not be read: it is not UTF-8 text."


async def read_form(request: Request[Any, Any, Any]) -> MultiDict[Any]:
    """The submitted form, decoded strictly: bytes that are not UTF-8 are refused (400),
    never turned into other characters and stored."""
    if request.content_type[0] == "application/x-www-form-urlencoded":
        body = await request.body()
        try:
            text = body.decode("ascii")  # browsers percent-encode everything else
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise ClientException(NOT_TEXT) from error
        return MultiDict(pairs)
    form = await request.form()
    if any(isinstance(v, str) and "\ufffd" in v for _, v in form.multi_items()):
        raise ClientException(NOT_TEXT)
    return MultiDict(form.multi_items())


def field_text(form: Any, name: str) -> str:
    """The text of one form field; a missing field, a file or a repeated field gives ''."""
    try:
        values = form.getall(name)
    except (KeyError, AttributeError):
        values = []
    if len(values) != 1 or not isinstance(values[0], str):
        return ""
    return str(values[0])


def normalize_email(raw: str) -> tuple[str, str | None]:
    """(normalized email, error message or None). Trimmed, lower-cased, validated."""
    email = raw.strip()
    if not email:
        return email, EMAIL_MISSING
    if len(email) > MAX_EMAIL_LENGTH:
        return email[:MAX_EMAIL_LENGTH], EMAIL_TOO_LONG
    try:
        info = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return email, EMAIL_INVALID
    normalized = info.normalized.lower()
    if len(normalized) > MAX_EMAIL_LENGTH:
        return email, EMAIL_TOO_LONG
    return normalized, None


@dataclass
class CredentialsForm:
    """The register and login forms: what was typed and what is wrong with it."""

    email: str = ""
    password: str = field(default="", repr=False)
    password_confirm: str | None = field(default=None, repr=False)
    next: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> CredentialsForm:
        confirm = field_text(form, "password_confirm") if "password_confirm" in form else None
        return cls(
            email=field_text(form, "email"),
            password=field_text(form, "password"),
            password_confirm=confirm,
            next=field_text(form, "next"),
        )

    def validate_login(self) -> bool:
        self.email, error = normalize_email(self.email)
        if error:
            self.errors["email"] = error
        if not self.password:
            self.errors["password"] = "Enter your password."
        return not self.errors

    def validate_registration(self, settings: Settings) -> bool:
        self.email, error = normalize_email(self.email)
        if error:
            self.errors["email"] = error
        if problem := check_new_password(
            self.password,
            self.email,
            min_length=settings.password_min_length,
            max_length=settings.password_max_length,
        ):
            self.errors["password"] = problem
        if self.password_confirm is not None and self.password_confirm != self.password:
            self.errors["password_confirm"] = PASSWORD_MISMATCH
        return not self.errors


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """``value`` if it is a local path (no open redirect), else ``default``."""
    if not value or len(value) > 2048:
        return default
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return default
    # Headers are latin-1: anything beyond ASCII is percent-encoded (the same path).
    return quote(value, safe="/?&=#%;:@+,!$'()*~-._")
