"""A table of hostile auth cookies. Each one means "not signed in": a page request gets 303 to
``/login?next=...`` and an htmx request 401 + ``HX-Redirect``, the cookie is deleted
(``Max-Age=0``, same attributes), never a 5xx. Afterwards the real user is still served.

The claim attacks are encrypted with the app's real key (read from its key file), so the
cryptography is right and only the claim is hostile; the control test shows the same
construction with honest claims is accepted.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc import jwe, jws
from joserfc.jwk import OctKey, RSAKey
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.browser import HTMX, Browser, assert_deletes_cookie
from tests.support.hostile import ALICE, COOKIE, AppKey, b64, shared_app

pytestmark = pytest.mark.backends("sqlite")  # HTTP, crypto, forms: no database in play


@dataclass
class Victim:
    client: TestClient[Litestar]
    token: str  # alice's real token
    claims: dict[str, Any]  # its claims (the session secret is "rt")
    key: AppKey


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Victim]:
    """Alice, signed in on one app shared by the table (no row of it may change anything)."""
    with shared_app(tmp_path_factory) as (_, client, settings):
        alice = Browser(client)
        assert alice.register(ALICE).status_code == 303
        assert alice.token is not None
        key = AppKey(settings)
        yield Victim(client, alice.token, key.claims(alice.token), key)


@functools.cache
def _rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048)


def _json(claims: dict[str, Any], **changes: Any) -> str:
    """The claims as JSON with ``changes`` (a change of ``...`` removes the claim)."""
    merged = {**claims, **changes}
    return json.dumps({k: v for k, v in merged.items() if v is not ...}, separators=(",", ":"))


def _hand_built(header: dict[str, Any], *, iv: int = 12, ciphertext: bytes = b"x" * 32) -> str:
    """A compact JWE with the given header and parts nobody can decrypt (random bytes)."""
    rng = random.Random(json.dumps(header, sort_keys=True))  # noqa: S311 - not a secret
    return ".".join(
        [
            b64(json.dumps(header)),
            b64(rng.randbytes(40)),
            b64(rng.randbytes(iv)),
            b64(ciphertext),
            b64(rng.randbytes(16)),
        ]
    )


def _with_claim_text(v: Victim, name: str, raw_json_value: str) -> str:
    """Encrypted with the app's key; the claim's JSON text is written by hand (1e309)."""
    text = _json(v.claims, **{name: "__PLACEHOLDER__"}).replace('"__PLACEHOLDER__"', raw_json_value)
    return v.key.encrypt(text)


def _pbes2(v: Victim) -> str:
    header = {
        "alg": "PBES2-HS512+A256KW",
        "enc": "A256GCM",
        "kid": v.key.kid,
        "p2s": b64(b"salt salt salt salt"),
        "p2c": 2_000_000_000,
    }
    return _hand_built(header)


def _jws_with_app_key(v: Victim) -> str:
    key = OctKey.import_key(v.key.raw)
    header = {"alg": "HS256", "kid": v.key.kid}
    return jws.serialize_compact(header, _json(v.claims), key, algorithms=["HS256"])


def _unsecured_jwt(v: Victim) -> str:
    return b64(json.dumps({"alg": "none", "typ": "JWT"})) + "." + b64(_json(v.claims)) + "."


def _alg_none_jwe(v: Victim) -> str:
    header = {"alg": "none", "enc": "A256GCM", "kid": v.key.kid}
    return ".".join([b64(json.dumps(header)), "", b64(b"\0" * 12), b64(_json(v.claims)), ""])


def _rsa_oaep(v: Victim) -> str:
    header = {"alg": "RSA-OAEP", "enc": "A256GCM", "kid": v.key.kid}
    registry = jwe.JWERegistry(algorithms=["RSA-OAEP", "A256GCM"])
    return jwe.encrypt_compact(header, _json(v.claims), _rsa_key(), registry=registry)


def _key_wrap(v: Victim, alg: str, key: OctKey) -> str:
    header = {"alg": alg, "enc": "A256GCM", "kid": v.key.kid}
    registry = jwe.JWERegistry(algorithms=[alg, "A256GCM"])
    return jwe.encrypt_compact(header, _json(v.claims), key, registry=registry)


def _other_key(v: Victim, kid: str | None) -> str:
    key = OctKey.generate_key(256)
    header = {"alg": "dir", "enc": "A256GCM", "kid": kid or v.key.kid}
    registry = jwe.JWERegistry(algorithms=["dir", "A256GCM"])
    return jwe.encrypt_compact(header, _json(v.claims), key, registry=registry)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE: dict[str, Callable[[Victim], str | bytes]] = {
    # headers
    "alg-none-jwe": _alg_none_jwe,
    "alg-none-unsecured-jwt": _unsecured_jwt,
    "alg-rsa-oaep": _rsa_oaep,
    "alg-a128kw": lambda v: _key_wrap(v, "A128KW", OctKey.generate_key(128)),
    "alg-a256kw-with-the-app-key": lambda v: _key_wrap(v, "A256KW", OctKey.import_key(v.key.raw)),
    "alg-pbes2-huge-p2c": _pbes2,
    "zip-def": lambda v: v.key.encrypt(_json(v.claims), zip="DEF"),
    "jku-header": lambda v: v.key.encrypt(_json(v.claims), jku="https://evil.example/jwks.json"),
    "x5u-header": lambda v: v.key.encrypt(_json(v.claims), x5u="https://evil.example/cert.pem"),
    "jwk-header": lambda v: v.key.encrypt(_json(v.claims), jwk=_rsa_key().as_dict(private=False)),
    "crit-header": lambda v: _hand_built(
        {"alg": "dir", "enc": "A256GCM", "kid": v.key.kid, "crit": ["exp"], "exp": 1}
    ),
    "enc-a-number": lambda v: _hand_built({"alg": "dir", "enc": 256, "kid": v.key.kid}),
    "enc-null": lambda v: _hand_built({"alg": "dir", "enc": None, "kid": v.key.kid}),
    "alg-a-list": lambda v: _hand_built({"alg": ["dir"], "enc": "A256GCM", "kid": v.key.kid}),
    "kid-a-number": lambda v: _hand_built({"alg": "dir", "enc": "A256GCM", "kid": 1}),
    "kid-a-path": lambda v: _hand_built({"alg": "dir", "enc": "A256GCM", "kid": "../../etc/pw"}),
    "header-a-list": lambda v: b64("[]") + "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "jws-hs256-with-the-app-key": _jws_with_app_key,
    # keys
    "another-key-same-kid": lambda v: _other_key(v, None),
    "another-key-own-kid": lambda v: _other_key(v, "2026-attacker"),
    "unknown-kid": lambda v: v.key.encrypt(_json(v.claims), kid="no-such-key"),
    "tampered-ciphertext": lambda v: _flip(v.token, 3),
    "tampered-tag": lambda v: _flip(v.token, 4),
    "tampered-header": lambda v: _flip(v.token, 0),
    # claims, with the app's own key
    "exp-a-string": lambda v: v.key.encrypt(_json(v.claims, exp="2099-01-01")),
    "exp-1e309": lambda v: _with_claim_text(v, "exp", "1e309"),
    "exp-minus-1e309": lambda v: _with_claim_text(v, "exp", "-1e309"),
    "exp-nan": lambda v: _with_claim_text(v, "exp", "NaN"),
    "exp-a-float": lambda v: _with_claim_text(v, "exp", str(v.claims["exp"] + 0.5)),
    "exp-2-to-the-64": lambda v: _with_claim_text(v, "exp", str(2**64)),
    "exp-a-bool": lambda v: v.key.encrypt(_json(v.claims, exp=True)),
    "exp-negative": lambda v: v.key.encrypt(_json(v.claims, exp=-1)),
    "aex-1e309": lambda v: _with_claim_text(v, "aex", "1e309"),
    "sub-not-a-number": lambda v: v.key.encrypt(_json(v.claims, sub="admin")),
    "sub-negative": lambda v: v.key.encrypt(_json(v.claims, sub="-1")),
    "sub-an-int": lambda v: v.key.encrypt(_json(v.claims, sub=int(v.claims["sub"]))),
    "sub-huge": lambda v: v.key.encrypt(_json(v.claims, sub="9" * 400)),
    # ARABIC-INDIC DIGIT ONE: str.isdecimal() says yes and int() reads 1; sub is "1".
    "sub-unicode-digits": lambda v: v.key.encrypt(_json(v.claims, sub="\u0661")),
    "email-a-list": lambda v: v.key.encrypt(_json(v.claims, email=[ALICE])),
    "rt-missing": lambda v: v.key.encrypt(_json(v.claims, rt=...)),
    "sid-missing": lambda v: v.key.encrypt(_json(v.claims, sid=...)),
    "sub-missing": lambda v: v.key.encrypt(_json(v.claims, sub=...)),
    "exp-missing": lambda v: v.key.encrypt(_json(v.claims, exp=...)),
    "no-claims": lambda v: v.key.encrypt("{}"),
    "claims-a-list": lambda v: v.key.encrypt("[]"),
    "claims-null": lambda v: v.key.encrypt("null"),
    "claims-not-json": lambda v: v.key.encrypt("not json"),
    "claims-not-utf8": lambda v: v.key.encrypt(b"\xff\xfe\xfd"),
    "claims-deeply-nested": lambda v: v.key.encrypt(_nested(1500)),
    # garbage
    "empty": lambda _: "",
    "5000-chars": lambda _: "A" * 5000,
    "5000-chars-five-parts": lambda _: ".".join(["A" * 1000] * 5),
    "non-ascii": lambda _: "ééé.ééé.ééé.ééé.ééé",
    "random-bytes": lambda _: random.Random(7).randbytes(200),  # noqa: S311
    "random-bytes-five-parts": lambda _: b".".join(
        random.Random(n).randbytes(30)  # noqa: S311
        for n in range(5)
    ),
    "quoted": lambda v: f'"{v.token}"',
    "token-twice": lambda v: v.token + v.token,
    "token-with-a-sixth-part": lambda v: v.token + ".AAAA",
    "only-dots": lambda _: "....",
}


def _flip(token: str, part: int) -> str:
    parts = token.split(".")
    chars = list(parts[part])
    chars[len(chars) // 2] = "A" if chars[len(chars) // 2] != "A" else "B"
    parts[part] = "".join(chars)
    return ".".join(parts)


def _cookie_header(value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("utf-8")
    return f"{COOKIE}=".encode() + raw


def _get(client: TestClient[Litestar], path: str, cookie: bytes, **headers: str) -> Any:
    client.cookies.clear()
    return client.get(path, headers={**headers, "Cookie": cookie}, follow_redirects=False)


def assert_real_user_served(v: Victim) -> None:
    v.client.cookies.clear()
    v.client.cookies.set(COOKIE, v.token)
    response = v.client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 200, response.text
    assert ALICE in response.text


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_cookie_is_not_signed_in(victim: Victim, kind: str) -> None:
    cookie = _cookie_header(HOSTILE[kind](victim))

    start = time.perf_counter()
    page = _get(victim.client, "/dashboard?tab=1", cookie)
    elapsed = time.perf_counter() - start
    htmx = _get(victim.client, "/sessions", cookie, **HTMX)
    public = _get(victim.client, "/login", cookie)

    assert page.status_code == 303, page.text
    assert page.headers["location"] == "/login?next=%2Fdashboard%3Ftab%3D1"
    assert_deletes_cookie(page)
    assert elapsed < 1.0, elapsed  # no expensive key derivation (PBES2 p2c) on garbage
    assert htmx.status_code == 401, htmx.text
    assert htmx.headers.get("hx-redirect", "").startswith("/login?next=")
    assert_deletes_cookie(htmx)
    assert public.status_code == 200, public.text  # a public page is served, cookie deleted
    assert_deletes_cookie(public)
    assert "Sign in" in public.text
    assert ALICE not in public.text  # nobody is signed in by it

    assert_real_user_served(victim)


def test_the_hand_built_claims_are_accepted_when_nothing_is_hostile(victim: Victim) -> None:
    """The control: a token built like the ones above, with honest claims, signs alice in."""
    token = victim.key.encrypt(_json(victim.claims))
    assert token != victim.token
    response = _get(victim.client, "/dashboard", _cookie_header(token))
    assert response.status_code == 200, response.text
    assert ALICE in response.text
    text = _with_claim_text(victim, "exp", str(victim.claims["exp"]))
    assert _get(victim.client, "/dashboard", _cookie_header(text)).status_code == 200


def test_a_hostile_cookie_next_to_the_real_one_does_not_sign_alice_out(victim: Victim) -> None:
    """Two cookies of the same name: whichever the server reads, it never 5xx's."""
    forged = _cookie_header(HOSTILE["alg-none-jwe"](victim))
    real = _cookie_header(victim.token)
    for cookie in (forged + b"; " + real, real + b"; " + forged):
        response = _get(victim.client, "/dashboard", cookie)
        assert response.status_code in {200, 303}, response.text
    assert_real_user_served(victim)
