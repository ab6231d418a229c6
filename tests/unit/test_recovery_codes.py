"""Recovery codes (app/auth/recovery_codes.py): enough randomness, forgiving typing, and
only a digest kept."""

from __future__ import annotations

import math

import pytest

from app.auth.recovery_codes import ALPHABET, COUNT, digest, generate, matching, normalize


def test_ten_distinct_codes_of_at_least_50_bits() -> None:
    codes = generate()
    assert len(codes) == COUNT == len(set(codes))
    for code in codes:
        letters = code.replace("-", "")
        assert len(letters) * math.log2(len(ALPHABET)) >= 50
        assert normalize(code) == letters


@pytest.mark.parametrize(
    "typed",
    ["k7qm-2xhp-9wdr", "K7QM-2XHP-9WDR", "k7qm 2xhp 9wdr", " k7qm2xhp9wdr ", "k7qm-2xhp-9w-dr"],
)
def test_typing_ignores_case_spaces_and_hyphens(typed: str) -> None:
    assert normalize(typed) == "k7qm2xhp9wdr"


def test_look_alike_letters_read_as_digits() -> None:
    assert normalize("IL0O-2xhp-9wdr") == "1100" + "2xhp9wdr"


@pytest.mark.parametrize(
    "typed", ["", "k7qm-2xhp", "k7qm-2xhp-9wdr-aaaa", "k7qm-2xhp-9wd!", "123456"]
)
def test_what_cannot_be_a_code_is_refused(typed: str) -> None:
    assert normalize(typed) is None


def test_a_code_is_found_by_its_digest_only() -> None:
    stored = [(1, digest("aaaabbbbcccc")), (2, digest("k7qm2xhp9wdr"))]
    assert matching("k7qm2xhp9wdr", stored) == 2
    assert matching("k7qm2xhp9wds", stored) is None
    assert "k7qm2xhp9wdr" not in "".join(d for _, d in stored)
