"""Form input: read fields leniently, validate strictly, answer in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from litestar import Request
from litestar.datastructures import MultiDict

from app.security.password_policy import PasswordPolicy
from app.shared.addresses import MAX_EMAIL_LENGTH, normalize_email
from app.web.plain import PlainClientError

__all__ = [
    "MAX_EMAIL_LENGTH",
    "CredentialsForm",
    "field_text",
    "parsed_form",
    "read_form",
    "safe_next",
]


PASSWORD_MISMATCH = "The two passwords do not match."


NOT_TEXT = "The form could not be read: it is not UTF-8 text. Please try again from the page."


async def read_form(request: Request[Any, Any, Any]) -> MultiDict[Any]:
    """The submitted form, decoded strictly: bytes that are not UTF-8 are refused (400),
    never turned into other characters and stored."""
    if request.content_type[0] == "application/x-www-form-urlencoded":
        body = await request.body()
        try:
            text = body.decode("ascii")  # browsers percent-encode everything else
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise PlainClientError(NOT_TEXT) from error
        return MultiDict(pairs)
    form = await parsed_form(request)
    if any(isinstance(v, str) and "\ufffd" in v for _, v in form.multi_items()):
        raise PlainClientError(NOT_TEXT)
    return MultiDict(form.multi_items())


async def parsed_form(request: Request[Any, Any, Any]) -> Any:
    """Litestar's form parser, with what it raises on bytes that are not text (a part
    that is not UTF-8, a charset nobody knows, a broken multipart body) made a 400."""
    try:
        return await request.form()
    except (UnicodeDecodeError, LookupError, ValueError) as error:
        raise PlainClientError(NOT_TEXT) from error


def field_text(form: Any, name: str) -> str:
    """The text of one form field; a missing field, a file or a repeated field gives ''."""
    try:
        values = form.getall(name)
    except (KeyError, AttributeError):
        values = []
    if len(values) != 1 or not isinstance(values[0], str):
        return ""
    return str(values[0])


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

    async def validate_registration(self, policy: PasswordPolicy) -> bool:
        self.email, error = normalize_email(self.email)
        if error:
            self.errors["email"] = error
        if problem := await policy.problem(self.password, self.email):
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
