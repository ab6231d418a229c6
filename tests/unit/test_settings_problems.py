"""A bad setting, as the command line reports it (app/cli.py): one line per setting, naming
its variable and what it accepts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.cli import settings_problems
from app.config import load_settings


def _problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_settings(environ)
    return settings_problems(caught.value)


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("APP_DB_POOL_SIZE", "0", "APP_DB_POOL_SIZE: '0' is not a whole number from 1 to 1000"),
        ("APP_MAX_BODY", "-1", "APP_MAX_BODY: '-1' is not a whole number of at least 1"),
        ("APP_DB_MAX_OVERFLOW", "1.5", "APP_DB_MAX_OVERFLOW: '1.5' is not a whole number from 0"),
        ("APP_COOKIE_SECURE", "maybe", "APP_COOKIE_SECURE: 'maybe' is not true or false"),
        ("APP_ACCESS_TTL", "1w", "APP_ACCESS_TTL: '1w' is not a duration: use seconds (3600)"),
        ("APP_TRUSTED_PROXIES", "10.0.0.0/8,bad", "APP_TRUSTED_PROXIES: 'bad' does not appear"),
        ("APP_NO_SUCH", "1", "APP_NO_SUCH: there is no such setting"),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_variable_and_what_it_accepts(
    variable: str, value: str, line: str
) -> None:
    [problem] = _problems({variable: value})
    assert problem.startswith(line)


def test_every_bad_setting_gets_its_own_line() -> None:
    problems = _problems(
        {"APP_DB_POOL_SIZE": "0", "APP_ACCESS_TTL": "1w", "APP_ALLOWED_HOSTS": "a", "APP_X": "1"}
    )
    named = sorted(p.split(":")[0] for p in problems)  # in the order the settings are declared
    assert named == ["APP_ACCESS_TTL", "APP_DB_POOL_SIZE", "APP_X"]


def test_a_rule_between_settings_names_them_as_variables() -> None:
    [problem] = _problems({"APP_ACCESS_TTL": "2d"})
    assert problem == (
        "lifetimes must nest: APP_ACCESS_TTL <= APP_TOKEN_TTL <= APP_SESSION_TTL"
        " <= APP_SESSION_MAX_AGE"
    )
