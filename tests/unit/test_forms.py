"""Form input (app/web/forms.py): the ``next`` redirect, emails, and registration rules."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

import pytest

from app.security.password_policy import PasswordPolicy
from app.security.strength import StrengthEstimator
from app.shared.addresses import EMAIL_INVALID, EMAIL_MISSING, EMAIL_TOO_LONG, normalize_email
from app.web.forms import PASSWORD_MISMATCH, CredentialsForm, safe_next

FALLBACK = "/fallback"
PASSWORD = "correct horse battery staple"


def strong(length: int) -> str:
    """A password of exactly ``length`` characters that no strength check calls guessable."""
    return ("kX9#vQ2mT7!pZ4wR" * (length // 16 + 1))[:length]


@pytest.mark.parametrize(
    "value",
    [
        "/",
        "/dashboard",
        "/a?b=c",
        "/a?b=c&d=%2F%2Fe#frag",
        "/sessions/42",
        "/%2F%2Fevil.com",  # percent-encoded: a path on this site, not a host
        "/https://evil.com",
    ],
)
def test_safe_next_accepts_local_paths(value: str) -> None:
    assert safe_next(value, FALLBACK) == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("//evil.com", id="protocol-relative"),
        pytest.param("///evil.com", id="three slashes"),
        pytest.param("/\\evil.com", id="slash backslash"),
        pytest.param("\\\\evil.com", id="two backslashes"),
        pytest.param("/a\\b", id="backslash later"),
        pytest.param("https://evil.com", id="https"),
        pytest.param("http:/evil.com", id="http one slash"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("data:text/html,hi", id="data"),
        pytest.param("", id="empty"),
        pytest.param(None, id="None"),
        pytest.param("/a\nb", id="newline"),
        pytest.param("/a\rb", id="carriage return"),
        pytest.param("/\t/evil.com", id="tab"),
        pytest.param("/a\x00", id="NUL"),
        pytest.param("/a\x7f", id="DEL"),
        pytest.param("dashboard", id="relative"),
        pytest.param(" /dashboard", id="leading space"),
        pytest.param("/" + "a" * 2048, id="over 2048"),
    ],
)
def test_safe_next_refuses_anything_else(value: str | None) -> None:
    assert safe_next(value, FALLBACK) == FALLBACK


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("/caf\u00e9", id="latin-1 letter"),
        pytest.param("/\U0001f600", id="emoji"),
        pytest.param("/search?q=\u00fcber", id="non-ASCII query"),
        pytest.param("/\u2028evil", id="line separator"),
    ],
)
def test_safe_next_result_fits_in_a_location_header(value: str) -> None:
    """The result goes verbatim into ``Location`` / ``HX-Redirect``: header values are ASCII.

    Either refuse the value or percent-encode it; passing it through makes the login
    answer 500 (``UnicodeEncodeError`` in Litestar's header encoding) after the session
    row was already created.
    """
    result = safe_next(value, FALLBACK)
    assert result.isascii(), result
    assert result.isprintable()
    assert result == FALLBACK or unquote(result) == value


def test_safe_next_default_is_the_dashboard() -> None:
    assert safe_next("//evil.com") == "/dashboard"


def test_safe_next_length_boundary() -> None:
    assert safe_next("/" + "a" * 2047, FALLBACK) == "/" + "a" * 2047
    assert safe_next("/" + "a" * 2048, FALLBACK) == FALLBACK


# --- emails ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann@Example.COM  ", "ann@example.com"),
        ("\tANN.SMITH+tag@EXAMPLE.com\n", "ann.smith+tag@example.com"),
    ],
)
def test_normalize_email(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == (normalized, None)


@pytest.mark.parametrize(
    "raw",
    [
        "ann",
        "ann@",
        "@example.com",
        "ann@@example.com",
        "ann smith@example.com",
        "ann@example",
        "ann@-example.com",
        "ann@example..com",
        "<ann@example.com>",
        "Ann <ann@example.com>",
        "ann@example.com\x00",
    ],
)
def test_normalize_email_refuses_invalid_addresses(raw: str) -> None:
    _, error = normalize_email(raw)
    assert error == EMAIL_INVALID


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_normalize_email_refuses_empty(raw: str) -> None:
    assert normalize_email(raw) == ("", EMAIL_MISSING)


def email_of_length(length: int) -> str:
    """A valid address of exactly ``length`` characters (64-character local part)."""
    domain_length = length - 65
    labels, left = [], domain_length - len(".com")
    while left > 0:
        label = min(63, left)
        if left - label == 1:  # never leave a lone dot
            label -= 2
        labels.append("d" * label)
        left -= label + 1
    email = "a" * 64 + "@" + ".".join(labels) + ".com"
    assert len(email) == length
    return email


@pytest.mark.parametrize(
    ("length", "error"),
    [
        pytest.param(253, None, id="253"),
        pytest.param(254, None, id="254"),
        pytest.param(255, EMAIL_TOO_LONG, id="255"),
        pytest.param(400, EMAIL_TOO_LONG, id="400"),
    ],
)
def test_normalize_email_length_limit(length: int, error: str | None) -> None:
    email = email_of_length(length)
    normalized, actual = normalize_email(email)
    assert actual == error
    assert len(normalized) <= 254
    if error is None:
        assert normalized == email


def test_the_length_limit_applies_after_trimming() -> None:
    email = email_of_length(254)
    assert normalize_email(f"  {email}  ") == (email, None)


# --- registration --------------------------------------------------------------------------


@pytest.fixture
def settings() -> PasswordPolicy:  # the policy the default settings make
    return PasswordPolicy(min_length=12, max_length=1024, estimator=StrengthEstimator(deadline=30))


def register(policy: PasswordPolicy, **fields: str | None) -> CredentialsForm:
    """Validate a registration; its verdict must agree with the errors it records."""
    values = {"email": "ann@example.com", "password": PASSWORD, **fields}
    form = CredentialsForm(**values)  # type: ignore[arg-type]
    ok = asyncio.run(form.validate_registration(policy))
    assert ok is (not form.errors)
    return form


def test_a_valid_registration(settings: PasswordPolicy) -> None:
    form = register(settings, email="  Ann@Example.com ", password_confirm=PASSWORD)
    assert form.errors == {}
    assert form.email == "ann@example.com"


@pytest.mark.parametrize(
    ("length", "field_in_error"),
    [
        pytest.param(11, True, id="11"),
        pytest.param(12, False, id="12"),
        pytest.param(13, False, id="13"),
        pytest.param(1023, False, id="1023"),
        pytest.param(1024, False, id="1024"),
        pytest.param(1025, True, id="1025"),
    ],
)
def test_password_length_limits(
    settings: PasswordPolicy, length: int, field_in_error: bool
) -> None:
    form = register(settings, password=strong(length))
    assert ("password" in form.errors) is field_in_error
    assert set(form.errors) <= {"password"}


def test_password_messages_name_the_limits(settings: PasswordPolicy) -> None:
    assert "12" in register(settings, password=strong(11)).errors["password"]
    assert "1024" in register(settings, password=strong(1025)).errors["password"]


@pytest.mark.parametrize(("length", "ok"), [(15, False), (16, True)])
def test_the_minimum_comes_from_the_settings(length: int, ok: bool) -> None:
    policy = PasswordPolicy(min_length=16, max_length=1024, estimator=StrengthEstimator())
    form = register(policy, password=strong(length))
    assert ("password" not in form.errors) is ok


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("password1234", id="common"),
        pytest.param("qwertyuiopasdf", id="keyboard walk"),
        pytest.param("sessionsjwt12", id="the app's name"),
    ],
)
def test_a_guessable_password_of_good_length_is_refused(
    settings: PasswordPolicy, password: str
) -> None:
    assert len(password) >= settings.min_length
    form = register(settings, password=password, password_confirm=password)
    assert set(form.errors) == {"password"}


@pytest.mark.parametrize(
    ("confirm", "mismatch"),
    [
        pytest.param(None, False, id="no confirm field"),
        pytest.param(PASSWORD, False, id="equal"),
        pytest.param(PASSWORD + "x", True, id="different"),
        pytest.param(PASSWORD.upper(), True, id="different case"),
        pytest.param("", True, id="empty"),
    ],
)
def test_password_confirmation(
    settings: PasswordPolicy, confirm: str | None, mismatch: bool
) -> None:
    form = register(settings, password_confirm=confirm)
    if mismatch:
        assert form.errors == {"password_confirm": PASSWORD_MISMATCH}
    else:
        assert form.errors == {}


def test_every_problem_is_reported_at_once(settings: PasswordPolicy) -> None:
    form = register(settings, email="not an email", password="short", password_confirm="other")
    assert set(form.errors) == {"email", "password", "password_confirm"}
    assert form.errors["email"] == EMAIL_INVALID


@pytest.mark.parametrize(
    ("email", "error"),
    [
        pytest.param("", EMAIL_MISSING, id="missing"),
        pytest.param("x" * 300 + "@example.com", EMAIL_TOO_LONG, id="too long"),
        pytest.param("ann@example", EMAIL_INVALID, id="invalid"),
    ],
)
def test_registration_refuses_bad_emails(settings: PasswordPolicy, email: str, error: str) -> None:
    assert register(settings, email=email).errors == {"email": error}
