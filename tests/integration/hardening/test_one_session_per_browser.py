"""A browser holds one session, and the one it replaces is dead at once.

Changing the password ends this session too and signs this browser in anew (a stolen copy
of the old cookie is refused inside its access window); signing in again ends the session
this browser had. (Red-team findings: Medium, Low.)
"""

from __future__ import annotations

import pytest

from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.hostile import ALICE
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


def test_a_password_change_ends_this_session_too_and_signs_this_browser_in_anew(
    visitor: Browser, db: Database
) -> None:
    assert visitor.register(ALICE).status_code == 303
    stolen = visitor.token
    [(before,)] = db.rows("SELECT public_id FROM sessions")
    changed = visitor.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "an entirely different passphrase"},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    fresh = visitor.token
    assert fresh
    assert fresh != stolen
    [(after,)] = db.rows("SELECT public_id FROM sessions")
    assert after != before  # a new session: new id, new secret
    assert not visitor.signed_in_with(stolen)  # refused at once, inside its access window
    assert visitor.signed_in_with(fresh)


def test_signing_in_again_ends_the_session_this_browser_had(visitor: Browser, db: Database) -> None:
    assert visitor.register(ALICE).status_code == 303
    first = visitor.token
    assert visitor.login(ALICE).status_code == 303
    assert visitor.token != first
    assert db.count("sessions") == 1
    assert not visitor.signed_in_with(first)
