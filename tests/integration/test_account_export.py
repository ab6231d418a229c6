"""Your data (issue 21, GDPR art. 15 and 20): one JSON download with the account, every
live session and every activity-log entry kept - and no secret of any kind."""

from __future__ import annotations

import json

import pytest

from app.clock import TestClock
from tests.support.authenticator import SoftAuthenticator
from tests.support.browser import Browser
from tests.support.database import Database
from tests.support.passkeys import post_json
from tests.support.settings import BASE_URL, PASSWORD
from tests.support.two_factor import turn_on

OWNER = "owner@example.com"


@pytest.mark.backends("sqlite")  # what is read and how it is shown: no backend changes it
def test_the_export_has_the_account_its_sessions_and_its_activity_and_no_secret(
    visitor: Browser, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303
    phone = visitor.another_device()
    assert phone.login(OWNER, "a wrong password for once").status_code == 401
    assert phone.login(OWNER).status_code == 303
    assert 'href="/account/export"' in visitor.client.get("/sessions").text

    exported = visitor.client.get("/account/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/json")
    assert (
        exported.headers["content-disposition"] == 'attachment; filename="account-2027-01-15.json"'
    )
    assert exported.headers["cache-control"] == "no-store"
    data = exported.json()
    assert data["account"]["email"] == OWNER
    assert data["account"]["email_verified"] is False
    assert data["account"]["created_at"] == "2027-01-15T08:00:00Z"
    assert len(data["sessions"]) == 2
    for session in data["sessions"]:
        assert {"device", "network", "signed_in", "last_active"} <= session.keys()
    assert [e["what"] for e in data["activity"]] == ["registered", "sign_in_failed", "signed_in"]

    # No secret: nothing the database keeps as one, and nothing the browser holds.
    secrets = [
        *[row[0] for row in db.rows("SELECT password_hash FROM users")],
        *[s for row in db.rows("SELECT secret_hash, public_id FROM sessions") for s in row],
        *[row[0] for row in db.rows("SELECT token_hash FROM email_tokens")],
        visitor.token or "",
        phone.token or "",
        PASSWORD,
    ]
    body = exported.text
    for secret in secrets:
        assert secret
        assert secret not in body
    for word in ("secret", "hash", "token", "totp"):
        assert word not in body.lower()
    assert data["sign_in_methods"] == [
        {"method": "password", "name": None, "added": None, "last_used": None, "unused": None}
    ]


def test_the_export_names_each_sign_in_method_and_holds_none_of_their_secrets(
    visitor: Browser, clock: TestClock, db: Database
) -> None:
    assert visitor.register(OWNER).status_code == 303
    enrolled = turn_on(visitor, clock)
    phone = SoftAuthenticator(origin=BASE_URL)
    options = post_json(visitor, "/account/passkeys/options").json()["options"]
    credential = phone.create(options)
    added = post_json(visitor, "/account/passkeys", {"name": "Phone", "credential": credential})
    assert added.status_code == 201

    exported = visitor.client.get("/account/export")
    methods = [(m["method"], m["name"], m["unused"]) for m in exported.json()["sign_in_methods"]]
    assert methods == [
        ("password", None, None),
        ("authenticator app", None, None),
        ("recovery codes", None, 10),
        ("passkey", "Phone", None),
    ]
    body = exported.text
    stored = [
        value
        for (data,) in db.rows("SELECT data FROM authenticators")
        for value in json.loads(data).values()
        if isinstance(value, str) and len(value) > 16
    ]
    for secret in [enrolled.secret, *enrolled.codes, credential["id"], *stored]:
        assert secret not in body


@pytest.mark.backends("sqlite")  # the guard's answer, the same for every guarded page
def test_the_export_is_for_the_signed_in_only(visitor: Browser) -> None:
    answer = visitor.client.get("/account/export", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
