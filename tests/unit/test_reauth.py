"""The re-authentication decision (app/auth/reauth.py): a proof is fresh for exactly
APP_REAUTH_TTL seconds, judged from the token's auth_time and now alone."""

from __future__ import annotations

import pytest

from app.auth.reauth import is_fresh

TTL = 300
PROVED = 1_800_000_000


@pytest.mark.parametrize(
    ("age", "fresh"), [(0, True), (TTL - 1, True), (TTL, True), (TTL + 1, False), (86400, False)]
)
def test_a_proof_is_fresh_for_the_ttl_and_not_a_second_more(age: int, fresh: bool) -> None:
    assert is_fresh(PROVED, PROVED + age, TTL) is fresh
