"""Even at ``APP_LOG_LEVEL=DEBUG`` the log holds no password, hash, token, session secret or
SQL: DEBUG is the app's, never the database driver's. (Red-team finding: Medium.)
"""

from __future__ import annotations

import logging

import pytest

from app.config import Settings
from tests.support.apps import serve
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


def test_a_debug_log_holds_no_hash_password_token_or_secret(
    settings: Settings, clock: object, caplog: pytest.LogCaptureFixture, db: Database
) -> None:
    debug = settings.model_copy(update={"log_level": "DEBUG"})
    with caplog.at_level(logging.DEBUG), serve(debug, clock) as client:  # type: ignore[arg-type]
        visitor = Browser(client)
        visitor.register(ALICE)
        token = visitor.token
        visitor.client.get("/dashboard")
        visitor.logout()
        visitor.login(ALICE)
        visitor.login(ALICE, "a wrong password!")
        assert logging.getLogger("app.auth").isEnabledFor(logging.DEBUG)  # the app: DEBUG
        assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    text = "\n".join(record.getMessage() for record in caplog.records)
    [(password_hash,)] = db.rows("SELECT password_hash FROM users")
    secrets = [password_hash, "$argon2", PASSWORD, token or "absent"]
    secrets += [row[0] for row in db.rows("SELECT secret_hash FROM sessions")]
    for secret in secrets:
        assert secret not in text
    assert "SELECT" not in text  # no SQL, with or without its parameters
