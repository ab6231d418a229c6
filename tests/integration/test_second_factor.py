"""The authenticator app and recovery codes, sentence by sentence of the interface: turning
the app on, the two-step sign-in, a code accepted once, recovery codes shown once and
used once, the pending sign-in's limits, turning it off, and the mails that say so."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient

from app.auth.second_factors import sealed_key_ids
from app.clock import TestClock
from app.config import Settings
from app.main import create_app
from app.security.keys import prune_keyset, rotate_keyset
from tests.support.apps import serve
from tests.support.backends import WITH_STORES
from tests.support.browser import (
    HTMX,
    Browser,
    auth_set_cookie,
    cookie_attributes,
    set_cookie_headers,
)
from tests.support.database import Database
from tests.support.links import forgot, latest_link, post_link, settled
from tests.support.settings import BASE_URL, PASSWORD
from tests.support.smtp import MailCatcher
from tests.support.two_factor import (
    Enrolled,
    code_at,
    recovery_codes_on,
    secret_on,
    sign_in_with_code,
    turn_on,
)

ADA = "ada@example.com"
STEP = 30
NEW_PASSWORD = "a brand new passphrase for ada"


@pytest.fixture
def settings(mail_settings: Settings) -> Settings:
    return mail_settings


@pytest.fixture
def ada(visitor: Browser) -> Browser:
    """Ada has an account and is signed in (a fresh proof: she just registered)."""
    assert visitor.register(ADA).status_code == 303
    return visitor


@pytest.fixture
def enrolled(ada: Browser, clock: TestClock) -> Enrolled:
    """Ada turned the app on, then signed out; a minute passed."""
    on = turn_on(ada, clock)
    ada.logout()
    clock.advance(60)
    return on


def subjects(mail: MailCatcher, word: str) -> list[str]:
    return [str(m["Subject"]) for m in mail.to(ADA) if word in str(m["Subject"]).lower()]


def events(db: Database) -> list[str]:
    return [kind for (kind,) in db.rows("SELECT kind FROM auth_events ORDER BY id")]


# --- Turning the app on ---------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_the_key_and_an_otpauth_link(ada: Browser) -> None:
    page = ada.client.get("/account/totp")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    secret = secret_on(page.text)
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) * 8 >= 160
    assert re.search(r'<a href="otpauth://totp/[^"]*secret=' + secret, page.text)
    assert "<svg" in page.text  # the QR code, drawn by the app itself: no outside service
    assert 'action="/account/totp"' in page.text
    assert 'name="code"' in page.text
    assert secret_on(ada.client.get("/account/totp").text) == secret  # the same on reload


def test_a_wrong_code_then_a_right_one_turns_the_app_on(
    ada: Browser, clock: TestClock, mail: MailCatcher, db: Database
) -> None:
    secret = secret_on(ada.client.get("/account/totp").text)
    wrong = f"{(int(code_at(secret, clock.now())) + 1) % 1_000_000:06d}"

    refused = ada.post_form("/account/totp", {"code": wrong}, follow_redirects=False)
    assert refused.status_code == 422
    assert "That code is not right" in refused.text
    assert secret_on(refused.text) == secret  # the same key, to try again
    assert db.rows("SELECT kind FROM authenticators") == [("totp-setup",)]  # not on yet

    accepted = ada.post_form(
        "/account/totp", {"code": code_at(secret, clock.now())}, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/account/recovery-codes"
    assert "totp_enabled" in events(db)
    assert mail.wait_for(ADA, where=lambda m: "two-factor" in str(m["Subject"]).lower())
    assert "On." in ada.client.get("/account/security").text


@pytest.mark.backends("sqlite")  # how htmx or a pending cookie is answered: no backend changes it
def test_htmx_gets_hx_redirect_to_the_recovery_codes(ada: Browser, clock: TestClock) -> None:
    secret = secret_on(ada.client.get("/account/totp").text)
    response = ada.post_form("/account/totp", {"code": code_at(secret, clock.now())}, headers=HTMX)
    assert response.headers.get("hx-redirect") == "/account/recovery-codes"


def test_the_secret_is_nowhere_in_the_database(
    ada: Browser, clock: TestClock, db: Database
) -> None:
    on = turn_on(ada, clock)
    raw = base64.b32decode(on.secret + "=" * (-len(on.secret) % 8))
    dump = db.dump()
    for form in (
        on.secret,
        on.secret.lower(),
        raw.hex(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ):
        assert form not in dump
    for code in on.codes:  # nor the recovery codes, once shown
        assert code not in dump
        assert code.replace("-", "") not in dump


# --- Signing in with the second step -------------------------------------------------


def test_the_password_alone_sets_no_auth_cookie_and_asks_for_the_code(
    ada: Browser, enrolled: Enrolled
) -> None:
    response = ada.login(ADA)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/two-factor"
    assert auth_set_cookie(response) is None
    pending = [h for h in set_cookie_headers(response) if h.startswith("__Host-pending=")]
    assert len(pending) == 1
    attributes = cookie_attributes(pending[0])
    assert "httponly" in attributes
    assert "secure" in attributes
    assert ada.client.get("/dashboard", follow_redirects=False).status_code == 303

    page = ada.client.get("/login/two-factor")
    assert page.status_code == 200
    assert 'action="/login/two-factor"' in page.text
    assert 'name="code"' in page.text
    assert 'href="/login"' in page.text


@pytest.mark.backends("sqlite")  # how htmx or a pending cookie is answered: no backend changes it
def test_htmx_login_gets_hx_redirect_to_the_second_step(ada: Browser, enrolled: Enrolled) -> None:
    response = ada.login(ADA, headers=HTMX)
    assert response.headers.get("hx-redirect") == "/login/two-factor"
    assert auth_set_cookie(response) is None


def test_the_code_signs_in_and_goes_to_next(
    ada: Browser, enrolled: Enrolled, clock: TestClock, db: Database
) -> None:
    response = sign_in_with_code(
        ada, ADA, code_at(enrolled.secret, clock.now()), next="/sessions?x=1"
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/sessions?x=1"
    assert auth_set_cookie(response) is not None
    assert any(h.startswith("__Host-pending=;") for h in set_cookie_headers(response))
    assert ("pwd otp",) in db.rows("SELECT amr FROM sessions")
    sessions = ada.client.get("/sessions")
    assert "Password and authenticator app" in sessions.text


@pytest.mark.backends("sqlite")  # how htmx or a pending cookie is answered: no backend changes it
def test_without_a_pending_sign_in_the_second_step_is_the_login_page(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/login/two-factor", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_a_code_is_accepted_once(ada: Browser, enrolled: Enrolled, clock: TestClock) -> None:
    code = code_at(enrolled.secret, clock.now())
    assert sign_in_with_code(ada, ADA, code).status_code == 303
    other = ada.another_device()
    replay = sign_in_with_code(other, ADA, code)
    assert replay.status_code == 401
    assert "That code did not work" in replay.text
    assert auth_set_cookie(replay) is None


def test_the_setup_code_never_signs_in(ada: Browser, clock: TestClock) -> None:
    secret = secret_on(ada.client.get("/account/totp").text)
    setup_code = code_at(secret, clock.now())
    assert (
        ada.post_form("/account/totp", {"code": setup_code}, follow_redirects=False).status_code
        == 303
    )
    ada.logout()
    assert sign_in_with_code(ada, ADA, setup_code).status_code == 401


@pytest.mark.backends("sqlite")  # clock arithmetic; the stored step: test_a_code_is_accepted_once
@pytest.mark.parametrize(("offset", "status"), [(-1, 303), (+1, 303), (-2, 401), (+2, 401)])
def test_one_step_either_side_is_accepted_two_are_not(
    ada: Browser, enrolled: Enrolled, clock: TestClock, offset: int, status: int
) -> None:
    code = code_at(enrolled.secret, clock.now() + offset * STEP)
    assert sign_in_with_code(ada, ADA, code).status_code == status


def test_a_code_older_than_one_already_used_is_refused(
    ada: Browser, enrolled: Enrolled, clock: TestClock
) -> None:
    now = clock.now()
    assert sign_in_with_code(ada, ADA, code_at(enrolled.secret, now)).status_code == 303
    other = ada.another_device()
    previous = code_at(enrolled.secret, now - STEP)  # inside the window, but older
    assert sign_in_with_code(other, ADA, previous).status_code == 401


@pytest.mark.backends("sqlite")  # how htmx or a pending cookie is answered: no backend changes it
def test_the_pending_sign_in_expires(
    ada: Browser, enrolled: Enrolled, clock: TestClock, settings: Settings
) -> None:
    assert ada.login(ADA).status_code == 303
    clock.advance(settings.mfa_challenge_ttl + 1)
    response = ada.post_form(
        "/login/two-factor",
        {"code": code_at(enrolled.secret, clock.now())},
        form_page="/login",
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert auth_set_cookie(response) is None
    assert "That took too long" in ada.client.get("/login").text


def test_five_wrong_codes_end_the_pending_sign_in(
    ada: Browser, enrolled: Enrolled, clock: TestClock
) -> None:
    assert ada.login(ADA).status_code == 303
    pending = ada.client.cookies.get("__Host-pending")
    for _ in range(5):
        wrong = ada.post_form("/login/two-factor", {"code": "000000"}, follow_redirects=False)
        assert wrong.status_code in (401, 303)
    right = code_at(enrolled.secret, clock.now())
    ada.client.cookies.set("__Host-pending", pending or "")  # even a replayed copy
    response = ada.post_form(
        "/login/two-factor", {"code": right}, form_page="/login", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert auth_set_cookie(response) is None


def test_a_reset_does_not_skip_the_code(
    ada: Browser, enrolled: Enrolled, clock: TestClock, mail: MailCatcher
) -> None:
    forgot(ada.client, ADA)
    link = latest_link(mail, ADA, "reset")
    done = post_link(ada.client, link, new_password=NEW_PASSWORD, new_password_confirm=NEW_PASSWORD)
    assert done.status_code == 303
    response = ada.login(ADA, NEW_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/two-factor"
    assert auth_set_cookie(response) is None


def test_a_pending_sign_in_dies_with_a_password_reset(
    ada: Browser, enrolled: Enrolled, clock: TestClock, mail: MailCatcher
) -> None:
    assert ada.login(ADA).status_code == 303  # the password, checked before the reset
    other = ada.another_device()
    forgot(other.client, ADA)
    post_link(
        other.client,
        latest_link(mail, ADA, "reset"),
        new_password=NEW_PASSWORD,
        new_password_confirm=NEW_PASSWORD,
    )
    response = ada.post_form(
        "/login/two-factor",
        {"code": code_at(enrolled.secret, clock.now())},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert auth_set_cookie(response) is None


# --- Recovery codes ------------------------------------------------------------------


def test_recovery_codes_are_shown_once(ada: Browser, clock: TestClock) -> None:
    turn_on(ada, clock)  # read them once
    again = ada.client.get("/account/recovery-codes")
    assert again.status_code == 200
    assert 'id="recovery-codes"' not in again.text
    assert "<strong>10</strong> unused recovery codes" in again.text
    assert 'action="/account/recovery-codes"' in again.text


def test_a_recovery_code_signs_in_once_and_a_mail_says_so(
    ada: Browser, enrolled: Enrolled, mail: MailCatcher, db: Database
) -> None:
    code = enrolled.codes[3].upper().replace("-", " ")  # typed loosely
    response = sign_in_with_code(ada, ADA, code)
    assert response.status_code == 303, response.text
    assert ("pwd rec",) in db.rows("SELECT amr FROM sessions")
    assert mail.wait_for(ADA, where=lambda m: "recovery code" in str(m["Subject"]).lower())
    assert "9 unused recovery codes" in ada.client.get("/account/security").text
    assert "recovery_code_used" in events(db)
    assert "Password and recovery code" in ada.client.get("/sessions").text

    other = ada.another_device()
    assert sign_in_with_code(other, ADA, enrolled.codes[3]).status_code == 401


def test_new_codes_replace_the_old_ones(ada: Browser, clock: TestClock, mail: MailCatcher) -> None:
    old = turn_on(ada, clock).codes
    made = ada.post_form("/account/recovery-codes", {}, follow_redirects=False)
    assert made.status_code == 303
    assert made.headers["location"] == "/account/recovery-codes"
    new = recovery_codes_on(ada.client.get("/account/recovery-codes").text)
    assert len(new) == 10
    assert not set(new) & set(old)
    assert mail.wait_for(ADA, where=lambda m: "recovery codes" in str(m["Subject"]).lower())
    ada.logout()
    assert sign_in_with_code(ada, ADA, old[0]).status_code == 401
    other = ada.another_device()
    assert sign_in_with_code(other, ADA, new[0]).status_code == 303


# --- Turning it off ----------------------------------------------------------------


def test_turning_it_off_deletes_the_codes_and_the_password_alone_signs_in(
    ada: Browser, clock: TestClock, mail: MailCatcher, db: Database
) -> None:
    turn_on(ada, clock)
    page = ada.client.get("/account/totp")
    assert 'action="/account/totp/disable"' in page.text
    response = ada.post_form(
        "/account/totp/disable", {}, form_page="/account/totp", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/security")
    assert db.count("authenticators") == 0  # the app and its recovery codes
    assert "totp_disabled" in events(db)
    settled(db)
    assert len(subjects(mail, "two-factor")) == 2  # on, then off
    ada.logout()
    response = ada.login(ADA)
    assert response.headers["location"] == "/dashboard"
    assert auth_set_cookie(response) is not None


# --- Limits across workers ---------------------------------------------------------


@pytest.fixture
def second_worker(
    settings: Settings, clock: TestClock, client: TestClient[Litestar]
) -> Iterator[Browser]:
    """Another process of the same deployment: its own app on the same database (and
    Redis), the same clock."""
    with TestClient(create_app(settings, clock=clock), base_url=BASE_URL) as other:
        yield Browser(other)


@pytest.mark.backends(*WITH_STORES)  # the count lives in Redis when it is configured
def test_too_many_wrong_codes_for_one_account_are_429_on_every_worker(
    ada: Browser,
    enrolled: Enrolled,
    clock: TestClock,
    settings: Settings,
    second_worker: Browser,
) -> None:
    limit = settings.login_max_failures
    workers = [ada, second_worker]
    tried = 0
    while tried < limit:  # new pending sign-ins, alternating workers, four codes each
        browser = workers[tried % 2]
        browser.client.cookies.clear()
        assert browser.login(ADA).status_code == 303
        for _ in range(min(4, limit - tried)):
            wrong = browser.post_form(
                "/login/two-factor", {"code": "000000"}, follow_redirects=False
            )
            assert wrong.status_code == 401
            tried += 1
    for browser in workers:
        browser.client.cookies.clear()
        assert browser.login(ADA).status_code == 303
        right = browser.post_form(
            "/login/two-factor",
            {"code": code_at(enrolled.secret, clock.now())},
            follow_redirects=False,
        )
        assert right.status_code == 429
        assert int(right.headers["retry-after"]) > 0
        assert auth_set_cookie(right) is None


# --- Keys ---------------------------------------------------------------------------


def test_pruning_keys_keeps_the_one_a_stored_secret_is_sealed_with(
    ada: Browser, clock: TestClock, settings: Settings
) -> None:
    on = turn_on(ada, clock)
    ada.logout()
    keys_file = Path(settings.data_dir) / "keys.json"
    rotate_keyset(keys_file, clock.now())
    later = clock.now() + settings.session_max_age + 1  # the old key retired long ago
    in_use = ada.client.blocking_portal.call(sealed_key_ids, ada.client.app.state.core.db)
    assert prune_keyset(keys_file, later, settings.session_max_age, in_use=in_use) == []
    clock.set(later)
    with TestClient(create_app(settings, clock=clock), base_url=BASE_URL) as restarted:
        response = sign_in_with_code(Browser(restarted), ADA, code_at(on.secret, clock.now()))
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"


def test_a_sign_in_with_two_steps_upgrades_an_outdated_hash(
    ada: Browser, enrolled: Enrolled, settings: Settings, clock: TestClock, db: Database
) -> None:
    [(old_hash,)] = db.rows("SELECT password_hash FROM users")
    assert ",t=1," in old_hash
    stronger = settings.model_copy(update={"argon2_time_cost": 2})
    with serve(stronger, clock) as client:
        browser = Browser(client)
        response = sign_in_with_code(browser, ADA, code_at(enrolled.secret, clock.now()))
        assert response.status_code == 303, response.text
        assert auth_set_cookie(response) is not None
    [(new_hash,)] = db.rows("SELECT password_hash FROM users")
    assert ",t=2," in new_hash
    assert PasswordHasher().verify(new_hash, PASSWORD)
