"""Addresses that look alike are one account (full-width letters, capitals), and a local
part mixing alphabets is refused in plain words. (Red-team: Info.)
"""

from __future__ import annotations

import pytest

from tests.support.browser import Browser
from tests.support.hostile import ALICE

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


@pytest.mark.parametrize(
    "look_alike",
    [
        pytest.param("\uff41\uff4c\uff49\uff43\uff45@example.com", id="full-width"),
        pytest.param("ALICE@example.com", id="capitals"),
    ],
)
def test_a_look_alike_address_is_the_same_account(visitor: Browser, look_alike: str) -> None:
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    assert visitor.register(look_alike).status_code == 409
    assert visitor.login(look_alike).status_code == 303


def test_a_local_part_mixing_alphabets_is_refused_in_plain_words(visitor: Browser) -> None:
    response = visitor.register("\u0430lice@example.com")  # a Cyrillic a
    assert response.status_code == 422
    assert "different alphabets" in response.text
