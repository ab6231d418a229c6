"""The settings a deployment of several hosts relies on: shared secrets, pool sizes."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.main import create_app
from app.security.keys import new_key
from tests.support.backends import Backend
from tests.support.settings import START

SHARED = {
    "keys": json.dumps({"keys": [new_key(START)]}),
    "csrf_secret": secrets.token_urlsafe(32),
}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "secrets_from_local_files" in r.getMessage()]


def test_a_database_server_with_secrets_from_local_files_warns_once_naming_both(
    backend: Backend, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app"):
        create_app(settings)
    warnings = _warnings(caplog)
    if backend.database == "sqlite":
        assert warnings == []  # one host by construction: a file is the right place
    else:
        assert len(warnings) == 1, warnings
        assert "APP_KEYS" in warnings[0]
        assert "APP_CSRF_SECRET" in warnings[0]


@pytest.mark.backends("postgres")
def test_with_both_secrets_in_the_settings_nothing_is_said(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app"):
        create_app(settings.model_copy(update=Settings(**SHARED).model_dump(include=set(SHARED))))
    assert _warnings(caplog) == []
    assert not (settings.data_dir / "csrf.key").exists()
    assert not (settings.data_dir / "keys.json").exists()


@pytest.mark.backends("postgres")
def test_the_pool_is_sized_by_the_settings(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 7}))
    pool = app.state.engine.pool
    assert pool.size() == 3
    assert pool._max_overflow == 7


@pytest.mark.parametrize("secret", ["", "x" * 31])
def test_a_csrf_secret_shorter_than_32_characters_is_refused(secret: str) -> None:
    with pytest.raises(ValidationError, match="CSRF_SECRET"):
        Settings(csrf_secret=secret)  # type: ignore[arg-type]
