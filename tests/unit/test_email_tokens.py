"""The rule for a link sent by mail (app/auth/email_tokens.py): one purpose, once, until
its end - inside while ``now < expires_at`` - probed at -1 s, 0 and +1 s."""

from __future__ import annotations

import hashlib

import pytest

from app.auth.email_tokens import Purpose, new_token, token_hash, usable
from app.db.models import EmailToken

T0 = 1_800_000_000
ANN = "ann@example.com"  # the account's address now
TTL = 3600


def _row(**overrides: object) -> EmailToken:
    values: dict[str, object] = {
        "token_hash": "x" * 64,
        "user_id": 1,
        "purpose": Purpose.RESET.value,
        "address": "ann@example.com",
        "created_at": T0,
        "expires_at": T0 + TTL,
        "used_at": None,
        **overrides,
    }
    return EmailToken(**values)


@pytest.mark.parametrize(
    ("now", "works"),
    [(T0, True), (T0 + TTL - 1, True), (T0 + TTL, False), (T0 + TTL + 1, False)],
    ids=["sent", "end-1", "end+0", "end+1"],
)
def test_a_link_works_until_its_end(now: int, works: bool) -> None:
    assert usable(_row(), Purpose.RESET, now, ANN) is works


def test_a_used_link_another_purposes_link_and_no_link_do_not_work() -> None:
    assert not usable(_row(used_at=T0), Purpose.RESET, T0, ANN)
    assert not usable(_row(), Purpose.VERIFY, T0, ANN)
    assert not usable(None, Purpose.RESET, T0, ANN)
    assert not usable(_row(), Purpose.RESET, T0, None)  # the account is gone


@pytest.mark.parametrize("purpose", [Purpose.RESET, Purpose.VERIFY])
def test_a_reset_or_check_link_dies_when_the_account_moves_to_another_address(
    purpose: Purpose,
) -> None:
    row = _row(purpose=purpose.value)
    assert usable(row, purpose, T0, ANN)
    assert usable(row, purpose, T0, "ANN@Example.com")  # the same address, however typed
    assert not usable(row, purpose, T0, "ann@elsewhere.example")


def test_a_change_link_is_mailed_to_the_address_it_would_move_to() -> None:
    row = _row(purpose=Purpose.CHANGE.value, address="new@example.com")
    assert usable(row, Purpose.CHANGE, T0, ANN)


def test_tokens_are_256_bits_and_only_their_hash_is_stored() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) >= 43  # 32 bytes, base64url
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_hash(token)
