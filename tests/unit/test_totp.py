"""The authenticator app's rule (app/auth/totp.py) on an injected "now": one step either
side accepted, two refused, and no step at or before the last accepted one, ever."""

from __future__ import annotations

import pyotp
import pytest

from app.auth.totp import (
    STEP,
    grouped,
    matching_step,
    new_secret,
    normalize_code,
    provisioning_uri,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015  # inside step 60_000_000
STEP_NOW = NOW // STEP


def code_at(step: int) -> str:
    return pyotp.TOTP(SECRET).at(step * STEP)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_of_this_step_or_one_either_side_is_accepted(offset: int) -> None:
    assert matching_step(SECRET, code_at(STEP_NOW + offset), NOW, last_step=None) == (
        STEP_NOW + offset
    )


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_a_code_two_steps_away_is_refused(offset: int) -> None:
    assert matching_step(SECRET, code_at(STEP_NOW + offset), NOW, last_step=None) is None


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_is_never_accepted_twice(offset: int) -> None:
    code = code_at(STEP_NOW + offset)
    step = matching_step(SECRET, code, NOW, last_step=None)
    assert step is not None
    assert matching_step(SECRET, code, NOW, last_step=step) is None


def test_a_code_older_than_the_last_accepted_one_is_refused() -> None:
    """The code of the step before a used one is still inside the window, but too old."""
    assert matching_step(SECRET, code_at(STEP_NOW - 1), NOW, last_step=STEP_NOW) is None
    assert matching_step(SECRET, code_at(STEP_NOW + 1), NOW, last_step=STEP_NOW) == STEP_NOW + 1


def test_thirty_seconds_later_the_next_code_works() -> None:
    step = matching_step(SECRET, code_at(STEP_NOW), NOW, last_step=None)
    later = NOW + STEP
    assert matching_step(SECRET, code_at(STEP_NOW + 1), later, last_step=step) == STEP_NOW + 1


def test_a_wrong_code_is_refused() -> None:
    wrong = f"{(int(code_at(STEP_NOW)) + 1) % 1_000_000:06d}"
    assert matching_step(SECRET, wrong, NOW, last_step=None) is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        (" 12 34 56 ", "123456"),
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("", None),
        ("١٢٣٤٥٦", None),
    ],
)
def test_codes_are_six_ascii_digits_spaces_ignored(typed: str, code: str | None) -> None:
    assert normalize_code(typed) == code


def test_a_new_secret_has_160_bits_and_reads_in_groups() -> None:
    secret = new_secret()
    assert len(secret) == 32  # 32 base32 letters: 160 bits
    assert secret != new_secret()
    assert grouped(secret).replace(" ", "") == secret
    assert grouped(secret).count(" ") == 7


def test_the_provisioning_uri_names_issuer_account_and_secret() -> None:
    uri = provisioning_uri(SECRET, account="ada@example.com", issuer="Sessions + JWT")
    assert uri.startswith("otpauth://totp/Sessions%20%2B%20JWT:ada%40example.com?")
    assert f"secret={SECRET}" in uri
    assert "issuer=Sessions%20%2B%20JWT" in uri
