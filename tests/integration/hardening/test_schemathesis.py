"""Schemathesis over the app's own OpenAPI schema (``/schema/openapi.json``, served by Litestar):
every operation, with generated parameters and headers, anonymous and signed in (a real
auth cookie and CSRF token), passes the "not a server error" check.

The forms read their bodies themselves, so the schema has no request bodies to generate:
the form bodies are fuzzed by ``test_fuzz.py``.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from app.clock import TestClock
from app.main import create_app
from tests.support.settings import PASSWORD, START, make_settings

BASE = "http://testserver"


@dataclass
class Identity:
    headers: dict[str, str]


def _app_for_the_schema() -> Litestar:
    # Built at import: schemathesis collects one test per operation from a loaded schema
    # (its lazy ``from_fixture`` loader does not work with pytest 9). Plain http, as the
    # schemathesis client speaks: cookies without Secure (and without the __Host- prefix).
    data_dir = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)  # even if never run
    settings_ = make_settings(
        data_dir,
        cookie_secure=False,
        base_url=BASE,
        openapi=True,
        login_max_failures=100,
        ip_max_attempts=10**9,
    )
    return create_app(settings_, clock=TestClock(START))


APP = _app_for_the_schema()
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def alice() -> Identity:
    """Alice, registered through the same in-process client schemathesis uses."""
    with asgi.get_client(APP) as session:
        page = session.get(f"{BASE}/register")
        assert page.status_code == 200, page.text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token
        form = {"email": "alice@example.com", "password": PASSWORD, "_csrf_token": token[1]}
        response = session.post(f"{BASE}/register", data=form, allow_redirects=False)
        assert response.status_code == 303, response.text
        auth = response.cookies.get("auth")
        assert auth
        csrf = session.get(f"{BASE}/login").text
        csrf_value = re.search(r'name="_csrf_token" value="([^"]+)"', csrf)
        assert csrf_value
    cookie = f"auth={auth}; csrf={csrf_value[1]}"
    identity = Identity(headers={"Cookie": cookie, "x-csrftoken": csrf_value[1]})
    with asgi.get_client(APP) as session:  # the identity works: signed in, token accepted
        page = session.get(f"{BASE}/dashboard", headers=identity.headers, allow_redirects=False)
        assert page.status_code == 200, page.text
        hint = session.post(f"{BASE}/password-strength", headers=identity.headers)
        assert hint.status_code == 200, hint.text
    return identity


SCHEMA_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@SCHEMA_SETTINGS
def test_no_operation_is_a_server_error_for_anyone(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])


@schema.parametrize()
@SCHEMA_SETTINGS
def test_no_operation_is_a_server_error_for_a_signed_in_user(
    case: schemathesis.Case, alice: Identity
) -> None:
    case.call_and_validate(headers=alice.headers, checks=[not_a_server_error])


def test_the_schema_is_served_and_lists_every_form() -> None:
    paths = {op.ok().path for op in schema.get_all_operations()}
    assert {"/register", "/login", "/logout", "/account/password", "/password-strength"} <= paths
