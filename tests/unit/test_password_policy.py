"""New passwords: length rules and zxcvbn's guessability, with the email and app name as words."""

from __future__ import annotations

import pytest

from app.security.password_policy import (
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    check_new_password,
    strength_hint,
)

EMAIL = "alice.smith@example.com"


def check(password: str, email: str = EMAIL) -> str | None:
    return check_new_password(password, email, min_length=12, max_length=1024)


@pytest.mark.parametrize(
    "password",
    [
        "passwordpassword",
        "123456789012",
        "aaaaaaaaaaaa",
        "qwertyuiopas",
        "alice.smith@example.com",
        "alice.smith123",
        "sessionsjwt1",
    ],
)
def test_common_or_personal_passwords_are_refused(password: str) -> None:
    assert check(password) == TOO_COMMON


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "plum kettle orbit 42 lantern", "Tr0ub4dor&3-zebra!"],
)
def test_strong_passwords_pass_without_composition_rules(password: str) -> None:
    assert check(password) is None


def test_length_boundaries() -> None:
    assert check("Kz8#qW2!mP4") == TOO_SHORT.format(min=12)  # 11
    assert check("Kz8#qW2!mP4x") is None  # 12
    long = "plum kettle orbit lantern " * 40
    assert check(long[:1024]) is None
    assert check(long[:1025]) == TOO_LONG.format(max=1024)


def test_length_counts_characters_after_nfkc() -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "Kz8#qW2!mP4")  # eleven fullwidth forms
    assert check(fullwidth + "\ufb01") is None  # and the ligature fi: 13 characters after NFKC


def test_the_hint_grades_and_advises() -> None:
    weak = strength_hint("passwordpassword", EMAIL)
    strong = strength_hint("correct horse battery staple", EMAIL)
    assert weak.score <= 1
    assert weak.label in {"Very weak", "Weak"}
    assert weak.advice
    assert strong.score >= 3
