"""The rule for a link sent by mail (app/auth/email_tokens.py): one purpose, once, until
its end - inside while ``now < expires_at`` - probed at -1 s, 0 and +1 s."""

from __future__ import annotations

import hashlib

import pytest

from app.auth.email_tokens import Purpose, new_token, token_hash, usable
from app.db.models import EmailToken

T0 = 1_800_000_000
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
    assert usable(_row(), Purpose.RESET, now) is works


def test_a_used_link_another_purposes_link_and_no_link_do_not_work() -> None:
    assert not usable(_row(used_at=T0), Purpose.RESET, T0)
    assert not usable(_row(), Purpose.VERIFY, T0)
    assert not usable(None, Purpose.RESET, T0)


def test_tokens_are_256_bits_and_only_their_hash_is_stored() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) >= 43  # 32 bytes, base64url
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_hash(token)
