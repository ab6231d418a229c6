"""Whatever an attacker puts in the auth cookie, the answer is "not signed in", never a 500.

Some tokens below are forged with the app's own key (read from its key file), to show
that the algorithm allow-list and the claim checks hold even past the cryptography.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwe, jws
from joserfc.jwk import OctKey

from app.config import Settings
from tests.support.browser import HTMX, Browser, assert_deletes_cookie
from tests.support.settings import START

COOKIE = "__Host-auth"


def _b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _app_key(settings: Settings) -> tuple[OctKey, str]:
    """The app's current token key (raw, without its 'alg' restriction) and its kid."""
    data = json.loads((Path(settings.data_dir) / "keys.json").read_text())
    key = data["keys"][-1]
    return OctKey.import_key({"kty": "oct", "k": key["k"]}), key["kid"]


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "1",
        "email": "alice@example.com",
        "sid": "A" * 22,
        "rt": "B" * 43,
        "sat": START,
        "iat": START,
        "aex": START + 3600,
        "exp": START + 86400,
        "sxp": START + 14 * 86400,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _encrypt(
    settings: Settings, payload: bytes, *, alg: str = "dir", enc: str = "A256GCM", **header: Any
) -> str:
    key, kid = _app_key(settings)
    if enc != "A256GCM" and alg == "dir":  # a direct key must fit the content cipher
        key = OctKey.generate_key(128 if enc == "A128GCM" else 512)
    protected = {"alg": alg, "enc": enc, "kid": kid, **header}
    registry = jwe.JWERegistry(algorithms=[alg, enc, "DEF"], strict_check_header=False)
    return jwe.encrypt_compact(protected, payload, key, registry=registry)


UNKEYED: list[Any] = [
    pytest.param("", id="empty"),
    pytest.param("garbage", id="garbage"),
    pytest.param(".", id="one-dot"),
    pytest.param("....", id="five-empty-parts"),
    pytest.param(".....", id="six-empty-parts"),
    pytest.param("a.b.c.d.e", id="five-short-parts"),
    pytest.param("!!!!.@@@@.####.$$$$.%%%%", id="not-base64"),
    pytest.param("A" * 5000, id="very-long"),
    pytest.param(".".join(["A" * 1000] * 5), id="five-long-parts"),
    pytest.param('"a.b.c.d.e"', id="quoted"),
    pytest.param(_b64('{"alg":"dir","enc":"A256GCM","kid":"nope"}') + "..AAAA.AAAA.AAAA", id="kid"),
    pytest.param(_b64('{"alg":"dir","enc":"A256GCM"}') + "..AAAA.AAAA.AAAA", id="no-kid"),
    pytest.param(_b64("[]") + "..AAAA.AAAA.AAAA", id="header-is-a-list"),
    pytest.param(_b64("not json") + "..AAAA.AAAA.AAAA", id="header-not-json"),
    pytest.param(_b64(b"\xff\xfe") + "..AAAA.AAAA.AAAA", id="header-not-utf8"),
    pytest.param(_b64('{"alg":"none"}') + "." + _b64(json.dumps(_claims())) + ".", id="alg-none"),
    pytest.param(
        jws.serialize_compact(
            {"alg": "HS256"}, json.dumps(_claims()), OctKey.generate_key(256), algorithms=["HS256"]
        ),
        id="jws-instead-of-jwe",
    ),
]


def _payload(**overrides: Any) -> bytes:
    return json.dumps(_claims(**overrides)).encode()


# Each forgery differs from an acceptable token (see the control test below) in one way.
FORGERIES: dict[str, Callable[[Settings], str]] = {
    "alg-a256kw": lambda s: _encrypt(s, _payload(), alg="A256KW"),
    "enc-a128gcm": lambda s: _encrypt(s, _payload(), enc="A128GCM"),
    "enc-cbc-hs512": lambda s: _encrypt(s, _payload(), enc="A256CBC-HS512"),
    "extra-header-zip": lambda s: _encrypt(s, _payload(), zip="DEF"),
    "payload-not-json": lambda s: _encrypt(s, b"not json"),
    "payload-a-list": lambda s: _encrypt(s, b"[1, 2, 3]"),
    "sub-not-a-number": lambda s: _encrypt(s, _payload(sub="admin")),
    "exp-a-string": lambda s: _encrypt(s, _payload(exp="tomorrow")),
    "exp-a-bool": lambda s: _encrypt(s, _payload(exp=True)),
    "exp-huge": lambda s: _encrypt(s, _payload(exp=10**30)),
    "no-session-id": lambda s: _encrypt(s, _payload(sid=None)),
}


def _assert_turned_away(visitor: Browser, token: str) -> None:
    for headers, status in ((None, 303), (HTMX, 401)):
        visitor.client.cookies.clear()
        response = visitor.client.get(
            "/dashboard",
            headers={**(headers or {}), "Cookie": f"{COOKIE}={token}"},
            follow_redirects=False,
        )
        assert response.status_code == status, response.text
        assert_deletes_cookie(response)
    for path in ("/", "/login", "/register"):  # pages anyone may see: served, cookie deleted
        visitor.client.cookies.clear()
        response = visitor.client.get(
            path, headers={"Cookie": f"{COOKIE}={token}"}, follow_redirects=False
        )
        assert response.status_code < 500, (path, response.text)
        assert_deletes_cookie(response)


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize("token", UNKEYED)
def test_a_malformed_token_is_not_signed_in(visitor: Browser, token: str) -> None:
    _assert_turned_away(visitor, token)


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize("kind", FORGERIES)
def test_a_token_outside_the_allow_list_or_with_bad_claims_is_not_signed_in(
    visitor: Browser, settings: Settings, kind: str
) -> None:
    visitor.register()  # user 1 exists; the forged claims name it
    _assert_turned_away(visitor, FORGERIES[kind](settings))


def test_the_forging_helper_makes_tokens_the_app_accepts_when_nothing_is_wrong(
    visitor: Browser, settings: Settings
) -> None:
    """The control for the forgeries above: each of them fails for its one defect."""
    visitor.register()
    visitor.client.cookies.clear()
    token = _encrypt(settings, _payload())
    response = visitor.client.get(
        "/dashboard", headers={"Cookie": f"{COOKIE}={token}"}, follow_redirects=False
    )
    assert response.status_code == 200, response.text


def test_a_forged_token_past_its_expiry_meets_the_session_check(
    visitor: Browser, settings: Settings
) -> None:
    visitor.register()
    token = _encrypt(settings, _payload(exp=START, aex=START))
    _assert_turned_away(visitor, token)


@pytest.mark.backends("sqlite")  # decided before any query: the database changes nothing
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"__Host-auth=\xe9\xff\x00", id="non-ascii-bytes"),
        pytest.param(b"__Host-auth=a.b.c.d.e; __Host-auth=f.g.h.i.j", id="twice"),
        pytest.param(b"__Host-auth", id="no-equals"),
        pytest.param(b";;;__Host-auth=;;;", id="semicolons"),
    ],
)
def test_a_mangled_cookie_header_is_never_a_500(visitor: Browser, raw: bytes) -> None:
    for path, headers in (("/dashboard", {}), ("/dashboard", HTMX), ("/", {}), ("/login", {})):
        visitor.client.cookies.clear()
        response = visitor.client.get(
            path, headers={**headers, "Cookie": raw}, follow_redirects=False
        )
        assert response.status_code < 500, (path, response.text)
        if path == "/dashboard":
            assert response.status_code in {303, 401}
