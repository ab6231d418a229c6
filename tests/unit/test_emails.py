"""Email addresses (app/auth/emails.py): one account per address, however it is typed."""

from __future__ import annotations

import pytest

from app.shared.addresses import EMAIL_MIXED_SCRIPTS, email_key, normalize_email


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        pytest.param(
            "\uff41\uff4c\uff49\uff43\uff45@example.com",
            "alice@example.com",
            id="full-width letters",
        ),
        pytest.param("ALICE@EXAMPLE.COM", "alice@example.com", id="upper case"),
        pytest.param("straße@example.com", "strasse@example.com", id="sharp s"),
        pytest.param("re\u0301sume\u0301@example.com", "résumé@example.com", id="combining accent"),
    ],
)
def test_look_alike_spellings_share_one_key(typed: str, same_as: str) -> None:
    typed_email, error = normalize_email(typed)
    assert error is None
    reference, _ = normalize_email(same_as)
    assert email_key(typed_email) == email_key(reference)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("\u0430lice@example.com", id="a Cyrillic a among Latin letters"),
        pytest.param("p\u0430ypal@example.com", id="Cyrillic inside"),
        pytest.param("\u03b1lice@example.com", id="a Greek alpha"),
    ],
)
def test_a_local_part_mixing_scripts_is_refused_in_plain_words(typed: str) -> None:
    assert normalize_email(typed)[1] == EMAIL_MIXED_SCRIPTS


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("\u0430\u043b\u0438\u0441\u0430@example.com", id="all Cyrillic"),
        pytest.param("山田たろう@example.jp", id="kanji with hiragana"),
        pytest.param("josé.garcía@example.com", id="Latin with accents"),
        pytest.param("anna-2027@example.com", id="letters and digits"),
    ],
)
def test_one_script_is_fine(typed: str) -> None:
    assert normalize_email(typed)[1] is None
