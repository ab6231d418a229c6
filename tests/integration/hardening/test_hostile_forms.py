"""A table of malformed bodies, posted to every form with a valid CSRF token: each gets a 4xx
with a plain message - never a 5xx, never a stack trace - and no row is half written.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.clock import TestClock
from app.web.errors import MESSAGES
from app.web.forms import NOT_TEXT
from tests.support.apps import serve
from tests.support.browser import Browser, auth_set_cookie
from tests.support.database import Database
from tests.support.hostile import ALICE, Snapshot, assert_never_a_server_error, shared_app
from tests.support.settings import PASSWORD, make_settings

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play

FORM = "application/x-www-form-urlencoded"
LONG_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"  # 255


def _urlencoded(body: str | bytes, content_type: str = FORM) -> dict[str, Any]:
    raw = body.encode() if isinstance(body, str) else body
    return {"content": raw, "headers": {"Content-Type": content_type}}


def _encode(fields: dict[str, str]) -> str:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items())


def _with_raw(fields: dict[str, str], name: str, raw: bytes, content_type: str = FORM) -> Any:
    """The valid form, except that field ``name`` is sent as these raw bytes."""
    others = _encode({k: v for k, v in fields.items() if k != name})
    return _urlencoded(f"{others}&{name}=".encode() + raw, content_type)


def _bad_bytes(fields: dict[str, str], bad: bytes, tag: str) -> Any:
    """The email with bytes that are not UTF-8 inside its local part (``tag`` keeps each
    case's address distinct: decoded leniently, two cases could make the same one)."""
    local, domain = fields["email"].split("@")
    raw = local.encode() + tag.encode() + bad + b"%40" + domain.encode()
    return _with_raw(fields, "email", raw)


def _without(fields: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k not in names}


def _replace(fields: dict[str, str], name: str, value: str) -> Any:
    return _urlencoded(_encode({**fields, name: value}))


def _multipart_file(fields: dict[str, str], name: str, content: bytes) -> Any:
    return {
        "files": {name: ("file.txt", content, "text/plain")},
        "data": _without(fields, name),
    }


# Each case is the valid form of the route (an account that would be created, a login that
# would succeed) with exactly one defect in its email field; the token travels in a header.
Case = Callable[[dict[str, str]], dict[str, Any]]
CASES: dict[str, Case] = {
    "non-utf8-raw-bytes": lambda f: _bad_bytes(f, b"\xff", "1"),
    "non-utf8-percent-escapes": lambda f: _bad_bytes(f, b"%FF%FE", "2"),
    "overlong-utf8": lambda f: _bad_bytes(f, b"%C0%AE", "3"),
    "lone-surrogate": lambda f: _bad_bytes(f, b"%ED%A0%80", "4"),
    "json-body": lambda f: {"json": f},
    "json-array-body": lambda _: {"json": [1, 2, 3]},
    "json-declared-but-broken": lambda _: _urlencoded(b'{"email": ', "application/json"),
    "text-plain-body": lambda f: _urlencoded(_encode(f), "text/plain"),
    "no-content-type": lambda f: {"content": _encode(f).encode()},
    "multipart-file-as-email": lambda f: _multipart_file(f, "email", f["email"].encode()),
    "multipart-without-boundary": lambda _: _urlencoded(b"--x\r\n\r\n", "multipart/form-data"),
    "multipart-broken": lambda _: _urlencoded(
        b"--b\r\nContent-Disposition: form-data; name=\r\n\r\nx\r\n",
        "multipart/form-data; boundary=b",
    ),
    "email-repeated": lambda f: _urlencoded(_encode(f) + "&email=carol%40example.com"),
    "email-repeated-identically": lambda f: _urlencoded(_encode(f) + "&" + _encode(f)),
    "email-under-a-huge-name": lambda f: _urlencoded(
        _encode(_without(f, "email")) + "&" + "email" * 6000 + "=" + quote(f["email"])
    ),
    "nul-in-email": lambda f: _replace(f, "email", f["email"] + "\x00"),
    "crlf-in-email": lambda f: _replace(f, "email", f["email"] + "\r\nBcc: x@evil.example"),
    "escape-in-email": lambda f: _replace(f, "email", "\x1b[31m" + f["email"]),
    "rtl-override-in-email": lambda f: _replace(f, "email", "\u202e" + f["email"]),
    "zero-width-in-email": lambda f: _replace(f, "email", f["email"].replace("@", "\u200b@")),
    "email-over-254": lambda f: _replace(f, "email", LONG_EMAIL),
    "email-10000-chars": lambda f: _replace(f, "email", "b" * 10_000 + "@example.com"),
    "email-only-spaces": lambda f: _replace(f, "email", "     "),
    "html-in-email": lambda f: _replace(f, "email", "<script>x</script>@example.com"),
    "missing-everything": lambda _: _urlencoded(""),
    "only-empty-names": lambda _: _urlencoded("=&=&==&&&"),
    "missing-email": lambda f: _urlencoded(_encode(_without(f, "email"))),
    "missing-password": lambda f: _urlencoded(_encode(_without(f, "password"))),
    "password-repeated": lambda f: _urlencoded(_encode(f) + "&password=another+pass+phrase"),
}

# The valid form of each route: without a defect, these would create bob / sign alice in.
VALID = {
    "/register": {"email": "bob@example.com", "password": PASSWORD, "password_confirm": PASSWORD},
    "/login": {"email": ALICE, "password": PASSWORD},
}
PLAIN = (*MESSAGES.values(), NOT_TEXT)


def assert_plain_refusal(response: Any) -> None:
    assert_never_a_server_error(response)
    assert 400 <= response.status_code < 500, response.text
    assert auth_set_cookie(response) is None
    text = unescape(response.text)
    shown = '<p class="error"' in text or any(message in text for message in PLAIN)
    assert shown, f"no plain message in {response.status_code}: {text[:2000]}"


def _token(client: TestClient[Litestar], page: str = "/register") -> str:
    html = client.get(page).text
    return html.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]


@dataclass
class Shared:
    client: TestClient[Litestar]
    db: Database


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One app for the table: alice exists; no row of the table may change anything."""
    limits = {"login_max_failures": 100, "ip_max_attempts": 1_000_000}
    with shared_app(tmp_path_factory, **limits) as (_, client, settings):
        assert Browser(client).register(ALICE).status_code == 303
        yield Shared(client, Database.of(settings))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("route", VALID)
def test_a_malformed_form_is_a_4xx_with_a_plain_message(
    shared: Shared, route: str, case: str
) -> None:
    client, db = shared.client, shared.db
    client.cookies.clear()
    request = CASES[case](VALID[route])
    request["headers"] = {**request.get("headers", {}), "x-csrftoken": _token(client)}
    before = Snapshot(db)

    response = client.post(route, follow_redirects=False, **request)

    assert_plain_refusal(response)
    assert Snapshot(db) == before
    assert client.cookies.get("__Host-auth") is None


def test_the_valid_forms_above_do_work(visitor: Browser, db: Database) -> None:
    """The control for the table: without its one defect, each form succeeds."""
    assert visitor.register(ALICE).status_code == 303
    for route, fields in VALID.items():
        visitor.client.cookies.clear()
        request = _urlencoded(_encode(fields))
        request["headers"]["x-csrftoken"] = _token(visitor.client)
        response = visitor.client.post(route, follow_redirects=False, **request)
        assert response.status_code == 303, (route, response.text)
    assert db.count("users") == 2


PASSWORD_FORM = {"current_password": PASSWORD, "new_password": "a brand new passphrase here"}
PASSWORD_CASES: dict[str, Case] = {
    "non-utf8-raw-bytes": lambda f: _with_raw(f, "new_password", b"new\xffpass phrase here"),
    "non-utf8-percent-escapes": lambda f: _with_raw(f, "current_password", b"%FF%FE%FD"),
    "json-body": lambda f: {"json": f},
    "multipart-file-as-new-password": lambda f: _multipart_file(
        f, "new_password", b"a brand new passphrase here"
    ),
    "new-password-repeated": lambda f: _urlencoded(_encode(f) + "&new_password=other+phrase+xx"),
    "missing-current": lambda f: _urlencoded(_encode(_without(f, "current_password"))),
    "missing-new": lambda f: _urlencoded(_encode(_without(f, "new_password"))),
    "missing-everything": lambda _: _urlencoded(""),
    "nul-in-new-password": lambda f: _replace(f, "new_password", "\x00" * 20),
}


@pytest.mark.parametrize("case", PASSWORD_CASES)
def test_a_malformed_password_change_is_a_4xx_and_changes_nothing(
    alice: Browser, db: Database, case: str
) -> None:
    request = PASSWORD_CASES[case](PASSWORD_FORM)
    request["headers"] = {**request.get("headers", {}), "x-csrftoken": _token(alice.client)}
    before = Snapshot(db)

    response = alice.client.post("/account/password", follow_redirects=False, **request)

    assert_plain_refusal(response)
    assert Snapshot(db) == before


@pytest.mark.parametrize("case", [*CASES, *PASSWORD_CASES])
def test_the_strength_hint_survives_anything(shared: Shared, case: str) -> None:
    build = CASES.get(case) or PASSWORD_CASES[case]
    request = build({"email": ALICE, "password": PASSWORD, **PASSWORD_FORM})
    request["headers"] = {**request.get("headers", {}), "x-csrftoken": _token(shared.client)}
    response = shared.client.post("/password-strength", follow_redirects=False, **request)
    assert_never_a_server_error(response)
    assert response.status_code in {200, 400, 413, 415, 422}, response.text


@pytest.mark.parametrize(
    "junk",
    [
        pytest.param("&" + "n" * 30_000 + "=1", id="a-huge-field-name"),
        pytest.param("&a=1" * 10_000, id="ten-thousand-fields"),
        pytest.param("&=&==&&", id="empty-names"),
        pytest.param("&_csrf_token=junk", id="a-second-csrf-field"),
    ],
)
def test_junk_fields_next_to_a_valid_form_never_half_write(
    client: TestClient[Litestar], db: Database, junk: str
) -> None:
    request = _urlencoded(_encode(VALID["/register"]) + junk)
    request["headers"]["x-csrftoken"] = _token(client)

    response = client.post("/register", follow_redirects=False, **request)

    assert_never_a_server_error(response)
    if response.status_code == 303:  # ignored junk: the account is whole
        assert (db.count("users"), db.count("sessions")) == (1, 1)
    else:
        assert_plain_refusal(response)
        assert (db.count("users"), db.count("sessions")) == (0, 0)


@pytest.mark.parametrize("route", ["/register", "/login"])
def test_a_body_over_the_limit_is_413_with_a_plain_message(
    tmp_path: Path, clock: TestClock, route: str
) -> None:
    settings = make_settings(tmp_path, max_body=4096)
    with serve(settings, clock) as client:
        visitor = Browser(client)
        token = _token(visitor.client)
        db = Database.of(settings)
        fields = {"email": ALICE, "password": PASSWORD + "x" * 5000, "_csrf_token": token}
        body = _encode(fields)

        response = client.post(route, **_urlencoded(body), follow_redirects=False)

        assert response.status_code == 413, response.text
        assert_never_a_server_error(response)
        assert MESSAGES[413] in response.text
        assert db.count("users") == 0
        assert db.count("sessions") == 0


def test_a_lying_content_length_is_never_a_500(client: TestClient[Litestar]) -> None:
    response = client.post(
        "/register",
        content=_encode(VALID["/register"]).encode(),
        headers={"Content-Type": FORM, "Content-Length": "10", "x-csrftoken": _token(client)},
        follow_redirects=False,
    )
    assert_never_a_server_error(response)


def test_a_hostile_email_is_escaped_when_shown_back(client: TestClient[Litestar]) -> None:
    email = '"><script src=/x.js></script>@example.com'
    request = _replace(VALID["/register"], "email", email)
    request["headers"]["x-csrftoken"] = _token(client)
    response = client.post("/register", follow_redirects=False, **request)
    assert response.status_code == 422, response.text
    assert "<script src=/x.js>" not in response.text
    assert "&lt;script" in response.text or "&#34;&gt;&lt;script" in response.text


def test_no_half_written_account_when_the_session_cannot_start(
    visitor: Browser, db: Database
) -> None:
    """The same email twice in a row (the second loses): one user, one session, no orphan."""
    assert visitor.register(ALICE).status_code == 303
    visitor.client.cookies.clear()
    assert visitor.register(ALICE).status_code == 409
    assert db.count("users") == 1
    assert db.count("sessions") == 1


# -- hostile CSRF tokens: refused with the 403 page, never a 500 ----------------------------

NON_ASCII_TOKEN = "0" * 64 + "é" * 64  # the length of a real token, not ASCII after the 64th


def _hostile_csrf_token_as_a_file(token: str) -> dict[str, Any]:
    del token
    return {
        "files": {"_csrf_token": ("token.txt", b"0" * 128, "text/plain")},
        "data": VALID["/register"],
    }


def _hostile_csrf_token_non_ascii_field(token: str) -> dict[str, Any]:
    del token
    return {"data": {**VALID["/register"], "_csrf_token": NON_ASCII_TOKEN}}


def _hostile_csrf_token_non_ascii_header(token: str) -> dict[str, Any]:
    del token
    return {
        "data": VALID["/register"],
        "headers": {"x-csrftoken": NON_ASCII_TOKEN.encode("latin-1")},
    }


def _hostile_csrf_cookie_non_ascii(token: str) -> dict[str, Any]:
    return {
        "data": VALID["/register"],
        "headers": {
            "x-csrftoken": token,
            "Cookie": b"__Host-csrf=" + NON_ASCII_TOKEN.encode("latin-1"),
        },
    }


HOSTILE_CSRF: dict[str, Callable[[str], dict[str, Any]]] = {
    "token-field-is-a-file": _hostile_csrf_token_as_a_file,
    "token-field-not-ascii": _hostile_csrf_token_non_ascii_field,
    "token-header-not-ascii": _hostile_csrf_token_non_ascii_header,
    "csrf-cookie-not-ascii": _hostile_csrf_cookie_non_ascii,
}


@pytest.mark.parametrize("route", ["/login", "/logout"])
@pytest.mark.parametrize("case", HOSTILE_CSRF)
def test_a_hostile_csrf_token_is_a_403_never_a_500(shared: Shared, route: str, case: str) -> None:
    client = shared.client
    client.cookies.clear()
    token = _token(client)
    before = Snapshot(shared.db)

    response = client.post(route, follow_redirects=False, **HOSTILE_CSRF[case](token))

    assert_never_a_server_error(response)
    assert response.status_code == 403, response.text
    assert "expired" in unescape(response.text)  # the form again, saying so
    assert Snapshot(shared.db) == before


def test_a_refused_upload_is_closed(shared: Shared) -> None:
    """A multipart post refused for its CSRF token leaves no upload for the garbage collector
    to close (each would be a SpooledTemporaryFile held until then)."""
    client = shared.client
    client.cookies.clear()
    _token(client)  # the CSRF cookie, but no token in the post
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        response = client.post(
            "/register",
            files={"email": ("email.txt", b"bob@example.com", "text/plain")},
            data={"password": PASSWORD},
            follow_redirects=False,
        )
        gc.collect()
    assert response.status_code == 403, response.text
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, leaks
