"""The passkey rules that are ours (app/auth/passkeys.py): a challenge's lifetime on the
injected clock, and the signature counter."""

from __future__ import annotations

import pytest

from app.auth.passkeys import CHALLENGE_TTL, counter_ok, is_live

ISSUED = 1_800_000_000


@pytest.mark.parametrize(
    ("age", "live"),
    [(0, True), (CHALLENGE_TTL - 1, True), (CHALLENGE_TTL, True), (CHALLENGE_TTL + 1, False)],
)
def test_a_challenge_lives_its_ttl_and_not_a_second_more(age: int, live: bool) -> None:
    assert is_live(ISSUED + CHALLENGE_TTL, ISSUED + age) is live


@pytest.mark.parametrize(
    ("stored", "received", "ok"),
    [
        (0, 0, True),  # an authenticator that does not count (most synced passkeys)
        (0, 1, True),
        (5, 6, True),
        (5, 5, False),  # the same count twice: a clone, or a replay
        (5, 3, False),  # backwards
        (5, 0, False),  # stopped counting
    ],
)
def test_the_counter_must_go_up_when_it_counts(stored: int, received: int, ok: bool) -> None:
    assert counter_ok(stored, received) is ok
