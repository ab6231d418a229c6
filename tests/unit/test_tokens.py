"""The auth token (app/security/tokens.py): a compact JWE that only we can make or read.

Every token that is not one of ours - tampered, foreign, off the allow-list, a JWS,
garbage, or well encrypted but with claims of the wrong type - must end as the one
``InvalidTokenError``; ``pytest.raises`` lets any other exception fail the test.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from typing import Any

import pytest
from joserfc import jwe, jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from app.security.tokens import InvalidTokenError, TokenClaims, TokenCodec

T0 = 1_800_000_000
CLAIMS = TokenClaims(
    user_id=42,
    email="ann@example.com",
    session_id="sid-public-1",
    secret="refresh-secret-not-for-your-eyes",
    session_started_at=T0,
    issued_at=T0 + 10,
    access_until=T0 + 3600,
    expires_at=T0 + 86400,
    session_expires_at=T0 + 14 * 86400,
    auth_time=T0,
    amr=("pwd",),
)
ALLOWED = jwe.JWERegistry(algorithms=["dir", "A256GCM"])


def oct_key(kid: str, bits: int = 256) -> OctKey:
    # No "alg" on the key: only the codec's allow-list may refuse other algorithms.
    return OctKey.generate_key(bits, parameters={"kid": kid})


@pytest.fixture
def key() -> OctKey:
    return oct_key("key-1")


@pytest.fixture
def codec(key: OctKey) -> TokenCodec:
    return TokenCodec(KeySet([key]))


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def header_of(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(b64decode(token.split(".", maxsplit=1)[0]))
    return header


def encrypt(payload: bytes | str, key: OctKey, **header: Any) -> str:
    """A JWE made with the right key and algorithms, around any payload we like."""
    protected = {"alg": "dir", "enc": "A256GCM", "kid": key.kid, **header}
    return jwe.encrypt_compact(protected, payload, key, registry=ALLOWED)


def encrypt_claims(claims: dict[str, Any], key: OctKey) -> str:
    return encrypt(json.dumps(claims), key)


# --- what a good token is ---------------------------------------------------------------


def test_round_trip(codec: TokenCodec) -> None:
    assert codec.decode(codec.encode(CLAIMS)) == CLAIMS


def test_the_token_is_a_compact_jwe_dir_a256gcm_naming_its_key(
    codec: TokenCodec, key: OctKey
) -> None:
    token = codec.encode(CLAIMS)
    parts = token.split(".")

    assert len(parts) == 5
    assert header_of(token) == {"alg": "dir", "enc": "A256GCM", "kid": "key-1"}
    assert parts[1] == ""  # dir: no encrypted key
    assert len(b64decode(parts[2])) == 12  # GCM IV
    assert len(b64decode(parts[4])) == 16  # GCM tag
    # only base64url and dots: a valid cookie value
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_the_claims_are_not_readable_in_the_token(codec: TokenCodec) -> None:
    token = codec.encode(CLAIMS)
    visible = b"".join(b64decode(part) for part in token.split(".")) + token.encode()

    for secret in (CLAIMS.secret, CLAIMS.email, CLAIMS.session_id):
        assert secret.encode() not in visible


def test_the_same_claims_give_the_same_token_and_any_change_a_new_iv(codec: TokenCodec) -> None:
    # Two processes that mint one session's successor hand out one cookie value; a GCM IV
    # is never used for two different plaintexts.
    assert codec.encode(CLAIMS) == codec.encode(CLAIMS)
    first, later = codec.encode(CLAIMS), codec.encode(replace(CLAIMS, issued_at=T0 + 1))
    assert first.split(".")[2] != later.split(".")[2]  # the IV part
    assert codec.decode(later).issued_at == T0 + 1


def test_decoding_does_not_judge_time(codec: TokenCodec) -> None:
    """The hard expiry belongs to app.auth.refresh: tier 3 must still read a lapsed token."""
    lapsed = replace(CLAIMS, access_until=1, expires_at=1)
    assert codec.decode(codec.encode(lapsed)) == lapsed


def test_an_empty_key_set_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        TokenCodec(KeySet([]))


# --- keys -------------------------------------------------------------------------------


def test_a_key_set_of_two_decrypts_both_and_encrypts_with_the_newest() -> None:
    old, new = oct_key("old"), oct_key("new")
    before = TokenCodec(KeySet([old]))
    after = TokenCodec(KeySet([old, new]))

    old_token = before.encode(CLAIMS)
    new_token = after.encode(CLAIMS)

    assert header_of(new_token)["kid"] == "new"
    assert after.decode(old_token) == CLAIMS  # a key rotation signs nobody out
    assert after.decode(new_token) == CLAIMS
    with pytest.raises(InvalidTokenError):
        before.decode(new_token)  # the old process does not know the new kid


def test_wrong_key_with_the_same_kid(codec: TokenCodec) -> None:
    impostor = TokenCodec(KeySet([oct_key("key-1")]))
    with pytest.raises(InvalidTokenError) as caught:
        codec.decode(impostor.encode(CLAIMS))
    assert caught.value.__cause__ is not None  # raised from the cause, which stays internal


def test_unknown_kid(codec: TokenCodec) -> None:
    stranger = TokenCodec(KeySet([oct_key("key-2")]))
    with pytest.raises(InvalidTokenError):
        codec.decode(stranger.encode(CLAIMS))


def test_unknown_kid_even_when_the_key_bytes_match(codec: TokenCodec, key: OctKey) -> None:
    same_bytes = OctKey.import_key(key.raw_value, {"kid": "key-2"})
    token = TokenCodec(KeySet([same_bytes])).encode(CLAIMS)
    with pytest.raises(InvalidTokenError):
        codec.decode(token)


# --- tampering --------------------------------------------------------------------------


def flip(part: str) -> str:
    """Change one base64url character in the middle of a part (all of its bits are data)."""
    if not part:
        return "AAAA"  # dir has an empty encrypted key: anything there is tampering
    i = len(part) // 2
    return part[:i] + ("B" if part[i] == "A" else "A") + part[i + 1 :]


@pytest.mark.parametrize(
    "index", range(5), ids=["header", "encrypted_key", "iv", "ciphertext", "tag"]
)
def test_a_tampered_part_is_refused(codec: TokenCodec, index: int) -> None:
    parts = codec.encode(CLAIMS).split(".")
    parts[index] = flip(parts[index])
    with pytest.raises(InvalidTokenError):
        codec.decode(".".join(parts))


def test_a_reencoded_header_is_tampering(codec: TokenCodec) -> None:
    """The protected header is the AAD byte for byte: the same JSON, spaced, must fail."""
    parts = codec.encode(CLAIMS).split(".")
    parts[0] = b64encode(json.dumps(header_of(".".join(parts)), indent=1).encode())
    with pytest.raises(InvalidTokenError):
        codec.decode(".".join(parts))


@pytest.mark.parametrize("cut", [-1, 1], ids=["tag shortened", "tag lengthened"])
def test_a_tag_of_the_wrong_length_is_refused(codec: TokenCodec, cut: int) -> None:
    parts = codec.encode(CLAIMS).split(".")
    parts[4] = parts[4][:-4] if cut < 0 else parts[4] + "AAAA"
    with pytest.raises(InvalidTokenError):
        codec.decode(".".join(parts))


# --- algorithms off the allow-list --------------------------------------------------------


@pytest.mark.parametrize(
    ("alg", "enc", "make_key"),
    [
        pytest.param("A256KW", "A256GCM", lambda: oct_key("key-1"), id="A256KW"),
        pytest.param("A256GCMKW", "A256GCM", lambda: oct_key("key-1"), id="A256GCMKW"),
        pytest.param("A128KW", "A256GCM", lambda: oct_key("key-1", 128), id="A128KW"),
        pytest.param("dir", "A128GCM", lambda: oct_key("key-1", 128), id="dir+A128GCM"),
        pytest.param("dir", "A256CBC-HS512", lambda: oct_key("key-1", 512), id="dir+A256CBC-HS512"),
        pytest.param(
            "RSA-OAEP",
            "A256GCM",
            lambda: RSAKey.generate_key(2048, parameters={"kid": "key-1"}),
            id="RSA-OAEP",
        ),
    ],
)
def test_an_algorithm_off_the_allow_list_is_refused(alg: str, enc: str, make_key: Any) -> None:
    key = make_key()
    registry = jwe.JWERegistry(algorithms=[alg, enc])
    token = jwe.encrypt_compact(
        {"alg": alg, "enc": enc, "kid": "key-1"},
        json.dumps(CLAIMS.to_claims()),
        key,
        registry=registry,
    )
    keys = KeySet([key])
    # The token is sound and the codec holds its key: only the allow-list can refuse it.
    assert jwe.decrypt_compact(token, keys, registry=registry).plaintext is not None

    with pytest.raises(InvalidTokenError):
        TokenCodec(keys).decode(token)


def test_a_jws_instead_of_a_jwe_is_refused(codec: TokenCodec, key: OctKey) -> None:
    signed = jwt.encode({"alg": "HS256", "kid": "key-1"}, CLAIMS.to_claims(), key)
    assert jwt.decode(signed, key).claims["sub"] == "42"  # a valid JWT, just not ours
    with pytest.raises(InvalidTokenError):
        codec.decode(signed)


def test_an_unsecured_jwt_is_refused(codec: TokenCodec) -> None:
    header = b64encode(b'{"alg":"none"}')
    payload = b64encode(json.dumps(CLAIMS.to_claims()).encode())
    for token in (f"{header}.{payload}.", f"{header}..{payload}..", f"{header}.{payload}..."):
        with pytest.raises(InvalidTokenError):
            codec.decode(token)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"zip": "DEF"}, id="zip"),
        pytest.param({"jku": "https://evil.example/keys"}, id="jku"),
        pytest.param({"foo": "bar"}, id="unknown member"),
    ],
)
def test_a_header_with_members_we_never_write_is_refused(
    codec: TokenCodec, key: OctKey, extra: dict[str, str]
) -> None:
    protected = {"alg": "dir", "enc": "A256GCM", "kid": "key-1", **extra}
    registry = jwe.JWERegistry(algorithms=["dir", "A256GCM", "DEF"], strict_check_header=False)
    token = jwe.encrypt_compact(protected, json.dumps(CLAIMS.to_claims()), key, registry=registry)
    with pytest.raises(InvalidTokenError):
        codec.decode(token)


# --- garbage ----------------------------------------------------------------------------

_RANDOM = os.urandom(300).decode("latin-1")
_GOOD_HEADER = b64encode(b'{"alg":"dir","enc":"A256GCM","kid":"key-1"}')


def with_header(raw: bytes) -> str:
    return f"{b64encode(raw)}..AAAA.AAAA.AAAA"


GARBAGE = [
    pytest.param("", id="empty"),
    pytest.param(".", id="one dot"),
    pytest.param("....", id="four dots"),
    pytest.param("a.b.c.d.e", id="a.b.c.d.e"),
    pytest.param("a.b.c.d.e.f", id="six parts"),
    pytest.param("=.=.=.=.=", id="padding only"),
    pytest.param("!!!!.@@@@.####.$$$$.%%%%", id="not base64url"),
    pytest.param(_RANDOM, id="random bytes as latin-1"),
    pytest.param(".".join([_RANDOM[:60]] * 5), id="random bytes in five parts"),
    pytest.param("x" * 100_000, id="very long"),
    pytest.param(".".join(["A" * 20_000] * 5), id="very long five parts"),
    pytest.param("é.é.é.é.é", id="non-ASCII"),
    pytest.param("😀.😀.😀.😀.😀", id="emoji"),
    pytest.param("\x00.\x00.\x00.\x00.\x00", id="NUL bytes"),
    pytest.param(
        ".".join(b64encode(os.urandom(n)) for n in (40, 0, 12, 80, 16)),
        id="random base64url in five parts",
    ),
    pytest.param(
        ".".join([_GOOD_HEADER, *(b64encode(os.urandom(n)) for n in (0, 12, 80, 16))]),
        id="our header, random parts",
    ),
    pytest.param(f"{_GOOD_HEADER}....", id="header and nothing"),
    pytest.param(f"{_GOOD_HEADER}..AAAA.AAAA.AAAA", id="header and short parts"),
    pytest.param(f"{_GOOD_HEADER}..{'A' * 16}.{'A' * 40}.{'A' * 22}", id="header and zeros"),
    pytest.param(with_header(b"not json"), id="header not JSON"),
    pytest.param(with_header(b"[1, 2]"), id="header a JSON list"),
    pytest.param(with_header(b"null"), id="header JSON null"),
    pytest.param(with_header(b'{"alg":7}'), id="header alg a number"),
    pytest.param(with_header(bytes([0xFF, 0xFE])), id="header not UTF-8"),
    pytest.param(f"{_GOOD_HEADER[:-1]}..AAAA.AAAA.AAAA", id="header truncated base64"),
]


@pytest.mark.parametrize("token", GARBAGE)
def test_garbage_is_an_invalid_token_and_nothing_else(codec: TokenCodec, token: str) -> None:
    with pytest.raises(InvalidTokenError):
        codec.decode(token)


# --- well encrypted, wrong claims ---------------------------------------------------------


def claims_with(**changes: Any) -> dict[str, Any]:
    claims = CLAIMS.to_claims()
    for name, value in changes.items():
        if value is _MISSING:
            del claims[name]
        else:
            claims[name] = value
    return claims


_MISSING = object()
TIME_CLAIMS = ["exp", "aex", "iat", "sat", "sxp"]

WRONG_CLAIMS = [
    *(
        pytest.param(claims_with(**{name: value}), id=f"{name}={label}")
        for name in TIME_CLAIMS
        for value, label in [
            (str(T0), "string"),
            (True, "true"),
            (False, "false"),
            (float(T0), "float"),
            (T0 + 0.5, "fraction"),
            (-1, "negative"),
            (2**53, "2**53"),
            (10**30, "huge"),
            (None, "null"),
            ([T0], "list"),
            ({"t": T0}, "object"),
        ]
    ),
    *(
        pytest.param(claims_with(sub=value), id=f"sub={label}")
        for value, label in [
            (42, "int"),
            ("", "empty"),
            ("abc", "letters"),
            ("-42", "negative"),
            ("4.2", "decimal point"),
            (" 42", "leading space"),
            ("0x2a", "hex"),
            ("²", "superscript two"),
            ("9" * 19, "too long"),
            (None, "null"),
            (True, "true"),
        ]
    ),
    *(
        pytest.param(claims_with(**{name: value}), id=f"{name}={label}")
        for name, limit in [("email", 254), ("sid", 64), ("rt", 64)]
        for value, label in [
            ("", "empty"),
            ("x" * (limit + 1), "too long"),
            (7, "int"),
            (None, "null"),
            (["x"], "list"),
        ]
    ),
    *(
        pytest.param(claims_with(**{name: _MISSING}), id=f"without {name}")
        for name in CLAIMS.to_claims()
        # optional: tokens minted before they existed (see below)
        if name not in {"evf", "auth_time", "amr"}
    ),
    *(
        pytest.param(claims_with(evf=value), id=f"evf={value!r}")
        for value in (2, -1, True, "1", None, 1.0)
    ),
    *(
        pytest.param(claims_with(auth_time=value), id=f"auth_time={value!r}")
        for value in (-1, True, "1", None, 1.0, 2**53)
    ),
    *(
        pytest.param(claims_with(amr=value), id=f"amr={value!r}")
        for value in ([], "pwd", ["PWD"], ["p"], [7], ["pwd"] * 5, None, ["pwd", "a b"])
    ),
    pytest.param({}, id="empty object"),
]


def test_a_token_from_before_the_verified_claim_reads_as_unverified(
    codec: TokenCodec, key: OctKey
) -> None:
    claims = claims_with(evf=_MISSING)
    assert codec.decode(encrypt_claims(claims, key)).email_verified is False


def test_a_token_from_before_the_proof_claims_reads_as_a_password_sign_in_at_its_start(
    codec: TokenCodec, key: OctKey
) -> None:
    decoded = codec.decode(encrypt_claims(claims_with(auth_time=_MISSING, amr=_MISSING), key))
    assert decoded.auth_time == CLAIMS.session_started_at
    assert decoded.amr == ("pwd",)


def test_how_the_person_proved_it_travels_in_the_token(codec: TokenCodec) -> None:
    proved = replace(CLAIMS, auth_time=T0 + 99, amr=("pwd", "otp"))
    assert codec.decode(codec.encode(proved)) == proved


@pytest.mark.parametrize("claims", WRONG_CLAIMS)
def test_claims_of_the_wrong_type_are_refused(
    codec: TokenCodec, key: OctKey, claims: dict[str, Any]
) -> None:
    with pytest.raises(InvalidTokenError):
        codec.decode(encrypt_claims(claims, key))


@pytest.mark.parametrize("literal", ["1e309", "-1e309", "Infinity", "NaN", "1e2"])
def test_non_integer_json_numbers_for_exp_are_refused(
    codec: TokenCodec, key: OctKey, literal: str
) -> None:
    text = json.dumps(claims_with(exp=0)).replace('"exp": 0', f'"exp": {literal}')
    assert literal in text
    with pytest.raises(InvalidTokenError):
        codec.decode(encrypt(text, key))


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="not JSON"),
        pytest.param(b"[]", id="a list"),
        pytest.param(b"null", id="null"),
        pytest.param(b'"a string"', id="a string"),
        pytest.param(b"42", id="a number"),
        pytest.param(b"\xff\xfe", id="not UTF-8"),
        pytest.param(b'{"sub": "42"', id="cut short"),
    ],
)
def test_a_payload_that_is_not_a_claims_object_is_refused(
    codec: TokenCodec, key: OctKey, payload: bytes
) -> None:
    with pytest.raises(InvalidTokenError):
        codec.decode(encrypt(payload, key))


def test_claims_at_their_limits_are_accepted(codec: TokenCodec, key: OctKey) -> None:
    """The other side of the refusals above: the largest values that are still valid."""
    claims = claims_with(
        sub="9" * 18,
        email="x" * 254,
        sid="s" * 64,
        rt="r" * 64,
        exp=2**53 - 1,
        sat=0,
    )
    decoded = codec.decode(encrypt_claims(claims, key))
    assert decoded.user_id == 10**18 - 1
    assert decoded.expires_at == 2**53 - 1
    assert decoded.session_started_at == 0
    assert decoded.secret == "r" * 64
