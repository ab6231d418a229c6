"""Password hashing (app/security/passwords.py): argon2id, rehash, dummy verify, NFKC."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from app.security.passwords import PasswordService, normalize_password

PASSWORD = "correct horse battery staple"
CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture
def service() -> PasswordService:
    return PasswordService(**CHEAP)


@pytest.fixture
def verify_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Every argon2 verification: (stored hash, password, thread name)."""
    calls: list[tuple[str, str, str]] = []
    original: Callable[..., bool] = PasswordHasher.verify

    def spy(self: PasswordHasher, stored: str, password: str) -> bool:
        calls.append((stored, password, threading.current_thread().name))
        return original(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


def fullwidth(text: str) -> str:
    """The fullwidth forms of ASCII letters and digits, as an East Asian keyboard types them."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def assert_cheap_argon2id(stored: str) -> None:
    params = extract_parameters(stored)
    assert params.type is Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (1, 8, 1)


async def test_hash_then_verify(service: PasswordService) -> None:
    stored = await service.hash(PASSWORD)

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert_cheap_argon2id(stored)
    assert await service.verify(stored, PASSWORD) == (True, None)


async def test_the_same_password_hashes_differently(service: PasswordService) -> None:
    assert await service.hash(PASSWORD) != await service.hash(PASSWORD)  # salted


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param("correct horse battery stapl", id="one character short"),
        pytest.param("correct horse battery staple ", id="trailing space"),
        pytest.param("Correct horse battery staple", id="case"),
        pytest.param("", id="empty"),
    ],
)
async def test_wrong_password(service: PasswordService, attempt: str) -> None:
    stored = await service.hash(PASSWORD)
    assert await service.verify(stored, attempt) == (False, None)


async def test_unknown_user_still_costs_one_verification(
    service: PasswordService, verify_calls: list[tuple[str, str, str]]
) -> None:
    assert await service.verify(None, PASSWORD) == (False, None)

    assert len(verify_calls) == 1
    dummy, password, _ = verify_calls[0]
    assert password == PASSWORD
    # a real hash with the service's own parameters: the same cost as a known user
    assert_cheap_argon2id(dummy)


async def test_known_and_unknown_users_cost_the_same_verifications(
    service: PasswordService, verify_calls: list[tuple[str, str, str]]
) -> None:
    stored = await service.hash(PASSWORD)
    await service.verify(stored, "wrong password here")
    await service.verify(None, "wrong password here")

    assert len(verify_calls) == 2
    assert extract_parameters(verify_calls[0][0]) == extract_parameters(verify_calls[1][0])


async def test_verification_runs_off_the_event_loop_thread(
    service: PasswordService, verify_calls: list[tuple[str, str, str]]
) -> None:
    stored = await service.hash(PASSWORD)
    await service.verify(stored, PASSWORD)
    await service.verify(None, PASSWORD)

    loop_thread = threading.current_thread().name
    assert [thread != loop_thread for _, _, thread in verify_calls] == [True, True]


async def test_a_hash_with_other_parameters_is_upgraded_on_login(
    service: PasswordService,
) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=2).hash(PASSWORD)

    ok, new = await service.verify(old, PASSWORD)

    assert ok is True
    assert new is not None
    assert new != old
    assert_cheap_argon2id(new)
    assert await service.verify(new, PASSWORD) == (True, None)  # upgraded once, not again


async def test_an_argon2i_hash_is_upgraded_to_argon2id(service: PasswordService) -> None:
    old = PasswordHasher(**CHEAP, type=Type.I).hash(PASSWORD)

    ok, new = await service.verify(old, PASSWORD)

    assert ok is True
    assert new is not None
    assert_cheap_argon2id(new)


async def test_a_wrong_password_never_gets_a_new_hash(service: PasswordService) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=2).hash(PASSWORD)
    assert await service.verify(old, "not the password at all") == (False, None)


@pytest.mark.parametrize(
    ("typed_at_registration", "typed_at_login"),
    [
        pytest.param("ﬁrefox-and-more", "firefox-and-more", id="fi ligature"),
        pytest.param("firefox-and-more", "ﬁrefox-and-more", id="fi ligature at login"),
        pytest.param(f"pin-{fullwidth('12345678')}", "pin-12345678", id="fullwidth digits"),
        pytest.param("café-au-lait-please", "cafe\u0301-au-lait-please", id="combining accent"),
        pytest.param(f"{fullwidth('password')}-long", "password-long", id="fullwidth letters"),
    ],
)
async def test_compatibility_forms_of_a_password_verify_the_same(
    service: PasswordService, typed_at_registration: str, typed_at_login: str
) -> None:
    assert typed_at_registration != typed_at_login
    stored = await service.hash(typed_at_registration)
    assert await service.verify(stored, typed_at_login) == (True, None)


def test_normalization_keeps_what_is_really_different() -> None:
    assert normalize_password("ﬁ") == "fi"
    assert normalize_password("Password") != normalize_password("password")
    assert normalize_password("  spaced  ") == "  spaced  "


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("", id="empty"),
        pytest.param("not a hash", id="text"),
        pytest.param("$argon2id$v=19$m=8,t=1,p=1$garbage", id="argon2id, cut short"),
        pytest.param("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", id="argon2id, short hash"),
        pytest.param("$2b$12$KIXQJ9Vq6vV2b3zYt6rQe.2c6Jv9cR0o9jvO1m7Gm8m1iKk1r8b1y", id="bcrypt"),
        pytest.param("pbkdf2_sha256$600000$salt$hash=", id="django pbkdf2"),
        pytest.param("$argon2id$v=19$m=8,t=1,p=1$\x00$\x00", id="NUL bytes"),
    ],
)
async def test_an_invalid_stored_hash_is_a_failed_login(
    service: PasswordService, stored: str
) -> None:
    assert await service.verify(stored, PASSWORD) == (False, None)
