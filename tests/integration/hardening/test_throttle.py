"""Throttling, judged by the injected clock.

Per account: after ``APP_LOGIN_MAX_FAILURES`` (10) failures inside ``APP_LOGIN_WINDOW`` (15 min),
the 11th attempt is a 429 with ``Retry-After`` - even with the right password - until the
window has passed. A success resets the count. An unknown email is throttled the same way.
Per client: more than ``APP_IP_MAX_ATTEMPTS`` login or registration attempts get 429.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.clock import TestClock
from app.config import Settings
from tests.support.apps import serve
from tests.support.backends import WITH_STORES
from tests.support.browser import HTMX, Browser, auth_set_cookie
from tests.support.hostile import ALICE, assert_plain_page
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.backends(*WITH_STORES)

WINDOW = 15 * 60
LIMIT = 10
WRONG = "not the password at all"
TOO_MANY = "Too many attempts"


def _fail(visitor: Browser, times: int, email: str = ALICE) -> None:
    for attempt in range(times):
        response = visitor.login(email, WRONG)
        assert response.status_code == 401, (attempt, response.text)


def _retry_after(response: Any) -> int:
    value = response.headers.get("retry-after", "")
    assert value.isdecimal(), response.headers  # whole seconds, not an HTTP date
    seconds = int(value)
    assert seconds > 0
    return seconds


def _assert_throttled(response: Any) -> int:
    assert_plain_page(response, 429, TOO_MANY)
    assert auth_set_cookie(response) is None
    return _retry_after(response)


@pytest.fixture
def registered(visitor: Browser) -> Browser:
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    return visitor


def test_the_eleventh_attempt_after_ten_failures_is_429_even_with_the_right_password(
    registered: Browser,
) -> None:
    _fail(registered, LIMIT)

    response = registered.login(ALICE, PASSWORD)

    assert _assert_throttled(response) == WINDOW
    assert "15 minutes" in response.text  # the message says how long, in words
    assert registered.token is None


def test_nine_failures_do_not_throttle(registered: Browser) -> None:
    _fail(registered, LIMIT - 1)
    response = registered.login(ALICE, WRONG)  # the tenth failure is still answered
    assert response.status_code == 401, response.text
    assert "retry-after" not in response.headers


def test_the_throttle_answers_htmx_with_the_message_in_the_form(registered: Browser) -> None:
    _fail(registered, LIMIT)
    response = registered.login(ALICE, PASSWORD, headers=HTMX)
    assert response.status_code == 429, response.text
    assert TOO_MANY in response.text
    assert "<html" not in response.text  # the form fragment, swapped in place
    assert _retry_after(response) == WINDOW


@pytest.mark.parametrize(
    ("after", "throttled"),
    [(WINDOW - 1, True), (WINDOW, False), (WINDOW + 1, False)],
    ids=["window-1s", "window", "window+1s"],
)
def test_the_right_password_works_once_the_window_has_passed(
    registered: Browser, clock: TestClock, after: int, throttled: bool
) -> None:
    _fail(registered, LIMIT)  # all at the same instant
    clock.advance(after)

    response = registered.login(ALICE, PASSWORD)

    if throttled:
        assert _assert_throttled(response) == WINDOW - after
    else:
        assert response.status_code == 303, response.text
        assert auth_set_cookie(response) is not None


def test_waiting_retry_after_is_enough_when_failures_were_spread_out(
    registered: Browser, clock: TestClock
) -> None:
    for _ in range(LIMIT):
        _fail(registered, 1)
        clock.advance(60)
    wait = _assert_throttled(registered.login(ALICE, PASSWORD))
    assert wait == WINDOW - LIMIT * 60  # the oldest failure leaves the window first

    clock.advance(wait - 1)
    assert _assert_throttled(registered.login(ALICE, PASSWORD)) == 1
    clock.advance(1)
    assert registered.login(ALICE, PASSWORD).status_code == 303


def test_a_success_resets_the_count(registered: Browser) -> None:
    _fail(registered, LIMIT - 1)
    assert registered.login(ALICE, PASSWORD).status_code == 303
    registered.client.cookies.clear()

    _fail(registered, LIMIT)  # would be the 11th..19th failure without the reset

    assert _assert_throttled(registered.login(ALICE, PASSWORD)) == WINDOW


def test_a_throttled_attempt_does_not_extend_the_wait(
    registered: Browser, clock: TestClock
) -> None:
    _fail(registered, LIMIT)
    for _ in range(5):
        clock.advance(60)
        _assert_throttled(registered.login(ALICE, WRONG))
    clock.advance(WINDOW - 5 * 60)
    assert registered.login(ALICE, PASSWORD).status_code == 303


def test_an_unknown_email_is_throttled_the_same_way(registered: Browser) -> None:
    """No enumeration through the throttle: the same answers, attempt by attempt."""
    unknown = "nobody@example.com"
    known_statuses = []
    unknown_statuses = []
    for _ in range(LIMIT + 2):
        known_statuses.append(registered.login(ALICE, WRONG).status_code)
        unknown_statuses.append(registered.login(unknown, WRONG).status_code)
    assert known_statuses == unknown_statuses == [401] * LIMIT + [429] * 2

    response = registered.login(unknown, PASSWORD)
    assert _assert_throttled(response) == WINDOW


def test_the_account_throttle_ignores_the_case_of_the_email(registered: Browser) -> None:
    _fail(registered, LIMIT // 2, "Alice@Example.com")
    _fail(registered, LIMIT - LIMIT // 2, " ALICE@example.COM ")
    _assert_throttled(registered.login(ALICE, PASSWORD))


def test_failures_on_one_account_do_not_throttle_another(registered: Browser) -> None:
    assert registered.register("bob@example.com").status_code == 303
    registered.client.cookies.clear()
    _fail(registered, LIMIT)
    assert registered.login("bob@example.com", PASSWORD).status_code == 303


def test_wrong_current_passwords_on_the_password_form_count_as_failures(
    visitor: Browser,
) -> None:
    assert visitor.register(ALICE).status_code == 303
    for _ in range(LIMIT):
        response = visitor.post_form(
            "/account/password",
            {"current_password": WRONG, "new_password": "a brand new passphrase here"},
            follow_redirects=False,
        )
        assert response.status_code == 422, response.text
    response = visitor.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase here"},
        follow_redirects=False,
    )
    assert response.status_code == 429, response.text
    assert TOO_MANY in response.text
    _retry_after(response)


def test_never_more_than_100_failures_per_account_per_hour(
    registered: Browser, clock: TestClock
) -> None:
    """NIST 800-63B: an attacker who always waits exactly Retry-After gets few guesses."""
    start = clock.now()
    failures = 0
    while clock.now() < start + 3600:
        response = registered.login(ALICE, WRONG)
        if response.status_code == 429:
            clock.advance(_retry_after(response))
        else:
            assert response.status_code == 401, response.text
            failures += 1
    assert 0 < failures <= 100


def _sixth_attempt_is_429(
    settings: Settings, clock: TestClock, first_five: str, sixth: str
) -> None:
    with serve(settings.model_copy(update={"ip_max_attempts": 5}), clock) as client:
        visitor = Browser(client)
        for n in range(5):
            if first_five == "logins" or (first_five == "mixed" and n % 2):
                response = visitor.login(f"user{n}@example.com", WRONG)
                assert response.status_code == 401, response.text
            else:
                response = visitor.register(f"user{n}@example.com")
                assert response.status_code == 303, response.text
                client.cookies.clear()

        if sixth == "login":  # a real account when there is one, the right password: 429
            email = "user0@example.com" if first_five != "logins" else ALICE
            response = visitor.login(email, PASSWORD)
        else:
            response = visitor.register("someone@example.com")

        _assert_throttled(response)
        assert client.cookies.get("__Host-auth") is None


@pytest.mark.backends("sqlite")  # which attempts share a count is decided above the store
@pytest.mark.parametrize("sixth", ["login", "register"])
@pytest.mark.parametrize("first_five", ["logins", "registrations", "mixed"])
def test_the_sixth_attempt_from_one_client_is_429(
    settings: Settings, clock: TestClock, first_five: str, sixth: str
) -> None:
    _sixth_attempt_is_429(settings, clock, first_five, sixth)


@pytest.mark.backends("postgres", "postgres+redis")  # SQLite's store: the matrix above
@pytest.mark.parametrize("sixth", ["login", "register"])
def test_logins_and_registrations_share_one_count_on_every_store(
    settings: Settings, clock: TestClock, sixth: str
) -> None:
    _sixth_attempt_is_429(settings, clock, "mixed", sixth)


@pytest.mark.parametrize(
    ("after", "throttled"),
    [(WINDOW - 1, True), (WINDOW, False), (WINDOW + 1, False)],
    ids=["window-1s", "window", "window+1s"],
)
def test_the_client_limit_lifts_after_its_window(
    settings: Settings, clock: TestClock, after: int, throttled: bool
) -> None:
    with serve(settings.model_copy(update={"ip_max_attempts": 5}), clock) as client:
        visitor = Browser(client)
        assert visitor.register(ALICE).status_code == 303
        client.cookies.clear()
        for n in range(4):
            assert visitor.login(f"user{n}@example.com", WRONG).status_code == 401
        clock.advance(after)
        response = visitor.login(ALICE, PASSWORD)
        if throttled:
            assert _assert_throttled(response) == WINDOW - after
        else:
            assert response.status_code == 303, response.text
