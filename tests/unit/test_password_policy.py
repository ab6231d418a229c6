"""New passwords: length rules and zxcvbn's guessability (in its own process), with the
email and the app's name as words, and what is left when zxcvbn cannot answer in time."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.security.password_policy import TOO_COMMON, TOO_LONG, TOO_SHORT, PasswordPolicy
from app.security.strength import MAX_L33T, StrengthEstimator, judged_part

EMAIL = "alice.smith@example.com"
POLICY = PasswordPolicy(min_length=12, max_length=1024, estimator=StrengthEstimator(deadline=30))
# An estimator that never gets an answer in time: only the rules that cost nothing apply.
UNJUDGED = PasswordPolicy(min_length=12, max_length=1024, estimator=StrengthEstimator(deadline=0))
CRAFTED = "8453!67$<[{9|!@15<(+"  # zxcvbn's l33t enumeration: 250 ms for all of it


def check(password: str, email: str = EMAIL, policy: PasswordPolicy = POLICY) -> str | None:
    return asyncio.run(policy.problem(password, email))


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


def test_the_hint_grades_advises_and_says_what_submitting_would_do() -> None:
    weak = asyncio.run(POLICY.hint("passwordpassword", EMAIL))
    strong = asyncio.run(POLICY.hint("correct horse battery staple", EMAIL))
    short = asyncio.run(POLICY.hint("plum kettle", EMAIL))
    assert weak.score is not None
    assert weak.score <= 1
    assert weak.label in {"Very weak", "Weak"}
    assert weak.advice
    assert not weak.acceptable
    assert strong.score is not None
    assert strong.score >= 3
    assert strong.acceptable
    assert short.short_by == 1
    assert not short.acceptable


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        pytest.param("passwordpassword", True, id="a common password"),
        pytest.param("password123456", True, id="a common password and digits"),
        pytest.param("alice.smith2027!", True, id="built from the email"),
        pytest.param("Kz8#qW2", True, id="too short"),
        pytest.param("correct horse battery staple", False, id="a long phrase"),
    ],
)
def test_without_zxcvbn_in_time_the_rules_that_cost_nothing_still_hold(
    password: str, refused: bool
) -> None:
    assert (check(password, policy=UNJUDGED) is not None) is refused
    hint = asyncio.run(UNJUDGED.hint(password, EMAIL))
    assert hint.acceptable is not refused


def test_only_a_bounded_part_is_judged() -> None:
    part = judged_part(CRAFTED)
    assert CRAFTED.startswith(part)
    assert len({c for c in part if not c.isalpha()}) <= MAX_L33T
    assert judged_part("correct horse battery staple") == "correct horse batter"  # 20


def test_a_crafted_password_costs_the_worker_milliseconds_not_a_quarter_second() -> None:
    check("warm the worker up")
    started = time.perf_counter()
    check(CRAFTED)
    assert time.perf_counter() - started < 0.1
