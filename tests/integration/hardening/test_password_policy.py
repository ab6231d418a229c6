"""The password policy over HTTP (NIST 800-63B rev 4): at least 12 characters, up to 1024 and
never truncated, any Unicode (NFKC before hashing), no composition rules, and nothing common
or built from the email or the app's name. A live hint comes from the server.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import HTMX, Browser, auth_set_cookie, field_error
from tests.support.database import Database
from tests.support.hostile import ALICE, assert_plain_page

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play

TOO_COMMON = "too easy to guess"
STRONG_12 = "qz7Vt#mr2Lp9"
LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


def _long_password(length: int) -> str:
    """A password no dictionary knows, of exactly ``length`` characters."""
    text = ""
    counter = 0
    while len(text) < length:
        text += hashlib.sha256(str(counter).encode()).hexdigest() + "-"
        counter += 1
    return text[:length]


def _fullwidth(text: str) -> str:
    """The text as a Japanese keyboard types it (FULLWIDTH forms; NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _register(visitor: Browser, password: str, email: str = ALICE) -> Any:
    return visitor.register(email, password)


def _login(visitor: Browser, password: str, email: str = ALICE) -> Any:
    visitor.client.cookies.clear()
    return visitor.login(email, password)


def _refused(response: Any, words: str, db: Database) -> None:
    assert_plain_page(response, 422)
    error = field_error(response.text, "password")
    assert error is not None, response.text
    assert words in error, error
    assert auth_set_cookie(response) is None
    assert db.count("users") == 0


def test_eleven_characters_are_refused(visitor: Browser, db: Database) -> None:
    _refused(_register(visitor, STRONG_12[:11]), "at least 12 characters", db)


def test_twelve_strong_characters_are_accepted(visitor: Browser) -> None:
    assert _register(visitor, STRONG_12).status_code == 303
    assert _login(visitor, STRONG_12).status_code == 303


def test_no_composition_rules(visitor: Browser) -> None:
    """Lower-case words only, no digit, no symbol: long and uncommon is enough."""
    phrase = "umbrella violin gravel orchard"
    assert _register(visitor, phrase).status_code == 303


@pytest.mark.parametrize("length", [64, 1024])
def test_long_passwords_are_accepted_and_not_truncated(visitor: Browser, length: int) -> None:
    password = _long_password(length)
    assert len(password) == length

    assert _register(visitor, password).status_code == 303

    assert _login(visitor, password).status_code == 303
    last_changed = password[:-1] + ("x" if password[-1] != "x" else "y")
    assert _login(visitor, last_changed).status_code == 401
    assert _login(visitor, password[:-1]).status_code == 401  # a prefix is not the password
    if length > 72:
        assert _login(visitor, password[:72]).status_code == 401  # nor its first 72 (bcrypt)


@pytest.mark.parametrize("length", [1025, 5000, 30_000])  # sent twice: under 64 KiB
def test_over_1024_characters_is_refused_with_a_message_in_under_a_second(
    visitor: Browser, db: Database, length: int
) -> None:
    password = _long_password(length)
    token_page = visitor.client.get("/register")
    assert token_page.status_code == 200
    start = time.perf_counter()
    response = _register(visitor, password)
    elapsed = time.perf_counter() - start

    _refused(response, "at most 1024 characters", db)
    assert elapsed < 1.0, elapsed


@pytest.mark.parametrize("length", [1025, 60_000])
def test_an_over_long_password_at_login_is_a_4xx_in_under_a_second(
    visitor: Browser, length: int
) -> None:
    assert _register(visitor, STRONG_12).status_code == 303
    start = time.perf_counter()
    response = _login(visitor, _long_password(length))
    elapsed = time.perf_counter() - start
    assert 400 <= response.status_code < 500, response.text
    assert auth_set_cookie(response) is None
    assert elapsed < 1.0, elapsed


def test_an_over_long_new_password_is_refused_on_the_password_form(visitor: Browser) -> None:
    assert _register(visitor, STRONG_12).status_code == 303
    response = visitor.post_form(
        "/account/password",
        {"current_password": STRONG_12, "new_password": _long_password(1025)},
        follow_redirects=False,
    )
    assert_plain_page(response, 422)
    assert "at most 1024 characters" in (field_error(response.text, "new_password") or "")
    assert _login(visitor, STRONG_12).status_code == 303  # unchanged


@pytest.mark.parametrize(
    "password",
    ["passwordpassword", "123456789012", "qwertyuiopasdf", "iloveyou1234"],
)
def test_common_passwords_are_refused(visitor: Browser, db: Database, password: str) -> None:
    _refused(_register(visitor, password), TOO_COMMON, db)


@pytest.mark.parametrize(
    "password",
    ["alice@example.com1", "Alice@Example.com!!", "alice@example.com2027"],
)
def test_passwords_built_from_the_email_are_refused(
    visitor: Browser, db: Database, password: str
) -> None:
    _refused(_register(visitor, password), TOO_COMMON, db)


def _app_name(client: TestClient[Litestar]) -> str:
    """The app's name, as every page shows it in its title ("Page · Name")."""
    title = re.search(r"<title>([^<]*)</title>", client.get("/login").text)
    assert title, "no <title>"
    return title.group(1).rsplit("·", 1)[-1].strip().replace("\xa0", " ")


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda name: name, id="the-name-as-shown"),
        pytest.param(lambda name: name + "!!", id="the-name-and-punctuation"),
        pytest.param(lambda name: name + " 2027", id="the-name-and-a-year"),
        pytest.param(lambda name: name.replace(" ", "") + "2027", id="the-name-squeezed"),
        pytest.param(lambda name: name.lower().replace(" + ", "") + "2024", id="lowercase"),
    ],
)
def test_passwords_built_from_the_app_name_are_refused(
    visitor: Browser, db: Database, build: Any
) -> None:
    password = build(_app_name(visitor.client))
    assert len(password) >= 12, password
    _refused(_register(visitor, password), TOO_COMMON, db)


@pytest.mark.parametrize(
    ("registered_with", "logged_in_with"),
    [
        pytest.param(_fullwidth("correct horse battery"), "correct horse battery", id="fullwidth"),
        pytest.param(
            "correct horse battery", _fullwidth("correct horse battery"), id="to-fullwidth"
        ),
        pytest.param("ﬂoating ﬁreﬂies at dusk", "floating fireflies at dusk", id="ligatures"),
        pytest.param(
            "caf\u00e9 cr\u00e8me gravel", "cafe\u0301 cre\u0300me gravel", id="combining"
        ),
        pytest.param("Ⅻ roman numerals rock", "XII roman numerals rock", id="compatibility"),
    ],
)
def test_unicode_is_normalised_nfkc(
    visitor: Browser, registered_with: str, logged_in_with: str
) -> None:
    assert unicodedata.normalize("NFKC", registered_with) == unicodedata.normalize(
        "NFKC", logged_in_with
    )
    assert registered_with != logged_in_with

    assert _register(visitor, registered_with).status_code == 303
    assert _login(visitor, logged_in_with).status_code == 303


@pytest.mark.parametrize(
    "password",
    [
        "🔑密码是一个很长的句子😀",
        "Пароль из нескольких слов",
        "كلمة مرور طويلة جدا هنا",
        "パスワードはとても長いです",
        "tab\tand  spaces  inside it",
    ],
)
def test_any_unicode_is_accepted(visitor: Browser, password: str) -> None:
    assert _register(visitor, password).status_code == 303
    assert _login(visitor, password).status_code == 303


@pytest.mark.parametrize("field", ["password", "new_password"])
def test_the_strength_hint_is_a_fragment_with_a_label(visitor: Browser, field: str) -> None:
    strong = visitor.post_form(
        "/password-strength",
        {field: "umbrella violin gravel orchard"},
        form_page="/register",
        headers=HTMX,
    )
    weak = visitor.post_form(
        "/password-strength", {field: "passwordpassword"}, form_page="/register", headers=HTMX
    )

    for response in (strong, weak):
        assert response.status_code == 200, response.text
        assert "<html" not in response.text  # a fragment, swapped under the field
        assert f'id="{field}-hint"' in response.text
        assert 'aria-live="polite"' in response.text
    labels = [re.search(r"Strength: <strong>([^<]+)</strong>", r.text) for r in (strong, weak)]
    assert all(labels), (strong.text, weak.text)
    strong_label, weak_label = (m.group(1) for m in labels if m)
    assert strong_label in LABELS[3:], strong.text
    assert weak_label in LABELS[:2], weak.text


def test_the_strength_hint_for_a_short_password_asks_for_length(visitor: Browser) -> None:
    response = visitor.post_form(
        "/password-strength", {"password": "short"}, form_page="/register", headers=HTMX
    )
    assert response.status_code == 200, response.text
    assert "At least 12 characters" in response.text
    assert "Strength:" not in response.text


def test_the_strength_hint_sees_the_email(visitor: Browser) -> None:
    response = visitor.post_form(
        "/password-strength",
        {"email": ALICE, "password": "alice@example.com1"},
        form_page="/register",
        headers=HTMX,
    )
    assert re.search(r"Strength: <strong>(Very weak|Weak)</strong>", response.text), response.text


def test_the_strength_hint_answers_a_huge_password_quickly(visitor: Browser) -> None:
    start = time.perf_counter()
    response = visitor.post_form(
        "/password-strength", {"password": _long_password(60_000)}, form_page="/register"
    )
    assert time.perf_counter() - start < 1.0
    assert response.status_code == 200, response.text
