"""Settings (app/config.py): durations, environment variables, clear start-up errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.config import Settings, load_settings, parse_duration

MINUTE, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        pytest.param("3600", 3600, id="plain seconds"),
        pytest.param(3600, 3600, id="int"),
        pytest.param(1, 1, id="int 1"),
        pytest.param("1", 1, id="one second"),
        pytest.param("45s", 45, id="s"),
        pytest.param("15m", 15 * MINUTE, id="m"),
        pytest.param("1h", HOUR, id="h"),
        pytest.param("7d", 7 * DAY, id="d"),
        pytest.param(" 2d ", 2 * DAY, id="surrounding spaces"),
        pytest.param("30D", 30 * DAY, id="upper-case unit"),
        pytest.param("0015m", 15 * MINUTE, id="leading zeros"),
    ],
)
def test_parse_duration(value: Any, seconds: int) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("abc", id="letters"),
        pytest.param("h", id="unit only"),
        pytest.param("1w", id="weeks"),
        pytest.param("1y", id="years"),
        pytest.param("-5", id="negative string"),
        pytest.param(-5, id="negative int"),
        pytest.param("0", id="zero string"),
        pytest.param(0, id="zero int"),
        pytest.param("0d", id="zero days"),
        pytest.param(True, id="True"),
        pytest.param(False, id="False"),
        pytest.param("1.5h", id="fraction"),
        pytest.param(1.5, id="float"),
        pytest.param(3600.0, id="whole float"),
        pytest.param("1h30m", id="two units"),
        pytest.param("h1", id="unit first"),
        pytest.param("1e3", id="exponent"),
        pytest.param(None, id="None"),
    ],
)
def test_parse_duration_refuses(value: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError, the message is checked below
        parse_duration(value)


def test_a_bad_duration_says_what_is_accepted() -> None:
    with pytest.raises(ValueError, match=r"'1w' is not a duration.*15m, 7d"):
        parse_duration("1w")


# --- from the environment -----------------------------------------------------------------


def test_defaults() -> None:
    settings = load_settings({})

    assert settings.access_ttl == HOUR
    assert settings.token_ttl == DAY
    assert settings.session_ttl == 14 * DAY
    assert settings.session_max_age == 30 * DAY
    assert settings.max_body == 65536
    assert settings.cookie_secure is True
    assert settings.test_clock is False
    assert settings.password_min_length == 12
    assert settings.password_max_length == 1024
    assert settings.keys is None
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("app.db")
    assert Path("var") in Path(settings.resolved_database_url.split("///", 1)[1]).parents
    assert settings.resolved_keys_file.parent == Path("var")


def test_durations_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ACCESS_TTL", "15m")
    monkeypatch.setenv("APP_TOKEN_TTL", "7200")
    monkeypatch.setenv("APP_SESSION_TTL", "7d")
    monkeypatch.setenv("APP_SESSION_MAX_AGE", " 10d ")

    settings = load_settings()

    assert settings.access_ttl == 15 * MINUTE
    assert settings.token_ttl == 7200
    assert settings.session_ttl == 7 * DAY
    assert settings.session_max_age == 10 * DAY


@pytest.mark.parametrize(
    ("env", "attribute", "expected"),
    [
        pytest.param({"APP_MAX_BODY": "1024"}, "max_body", 1024, id="max body"),
        pytest.param({"APP_COOKIE_SECURE": "false"}, "cookie_secure", False, id="insecure"),
        pytest.param({"APP_COOKIE_SECURE": "0"}, "cookie_secure", False, id="insecure 0"),
        pytest.param({"APP_TEST_CLOCK": "1"}, "test_clock", True, id="test clock 1"),
        pytest.param({"APP_TEST_CLOCK": "true"}, "test_clock", True, id="test clock true"),
        pytest.param({"APP_TEST_CLOCK": "false"}, "test_clock", False, id="test clock false"),
        pytest.param(
            {"APP_DATABASE_URL": "sqlite+aiosqlite:///x.db"},
            "resolved_database_url",
            "sqlite+aiosqlite:///x.db",
            id="database url",
        ),
        pytest.param(
            {"APP_PASSWORD_MIN_LENGTH": "16"}, "password_min_length", 16, id="password min"
        ),
        pytest.param(
            {"APP_DATA_DIR": "/tmp/elsewhere"},  # noqa: S108 - only a path, never touched
            "resolved_keys_file",
            Path("/tmp/elsewhere/keys.json"),  # noqa: S108
            id="data dir",
        ),
    ],
)
def test_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], attribute: str, expected: Any
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert getattr(load_settings(), attribute) == expected


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        pytest.param("APP_ACCESS_TTL", "abc", "access_ttl", id="access ttl letters"),
        pytest.param("APP_TOKEN_TTL", "1w", "token_ttl", id="token ttl weeks"),
        pytest.param("APP_SESSION_TTL", "-5", "session_ttl", id="session ttl negative"),
        pytest.param("APP_SESSION_MAX_AGE", "0", "session_max_age", id="max age zero"),
        pytest.param("APP_ACCESS_TTL", "", "access_ttl", id="access ttl empty"),
        pytest.param("APP_MAX_BODY", "0", "max_body", id="max body zero"),
        pytest.param("APP_MAX_BODY", "64k", "max_body", id="max body with unit"),
        pytest.param("APP_COOKIE_SECURE", "maybe", "cookie_secure", id="cookie secure"),
        pytest.param("APP_TEST_CLOCK", "yes please", "test_clock", id="test clock"),
        pytest.param("APP_PASSWORD_MIN_LENGTH", "4", "password_min_length", id="min length"),
    ],
)
def test_a_bad_environment_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        load_settings()
    assert field in str(caught.value)


def test_a_bad_duration_in_the_environment_explains_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ACCESS_TTL", "1 week")
    with pytest.raises(ValidationError, match=r"(?s)access_ttl.*not a duration.*15m, 7d"):
        load_settings()


# --- the lifetimes nest: access <= token <= session idle <= session absolute -------------------

NESTED = {
    "access_ttl": HOUR,
    "token_ttl": DAY,
    "session_ttl": 14 * DAY,
    "session_max_age": 30 * DAY,
}


@pytest.mark.parametrize(
    ("inner", "outer"),
    [("access_ttl", "token_ttl"), ("token_ttl", "session_ttl"), ("session_ttl", "session_max_age")],
)
@pytest.mark.parametrize(
    ("excess", "ok"),
    [
        pytest.param(-1, True, id="-1s"),
        pytest.param(0, True, id="equal"),
        pytest.param(1, False, id="+1s"),
    ],
)
def test_lifetimes_must_nest(inner: str, outer: str, excess: int, ok: bool) -> None:
    values = {**NESTED, inner: NESTED[outer] + excess}
    if ok:
        assert getattr(Settings(**values), inner) == NESTED[outer] + excess
    else:
        with pytest.raises(ValidationError, match="lifetimes must nest"):
            Settings(**values)


def test_lifetimes_that_do_not_nest_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ACCESS_TTL", "2d")  # longer than the 1d token
    with pytest.raises(ValidationError, match="lifetimes must nest"):
        load_settings()


# --- the object --------------------------------------------------------------------------------


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.access_ttl = 1  # type: ignore[misc]
    assert settings.access_ttl == HOUR


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="acess_ttl"):
        Settings(acess_ttl=60)  # type: ignore[call-arg]


def test_keyword_arguments_accept_durations() -> None:
    assert Settings(access_ttl="30m").access_ttl == 30 * MINUTE  # type: ignore[arg-type]
