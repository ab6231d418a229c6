"""Persistent keys (app/security/keys.py): created once, owner-only, strictly parsed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import OctKey, RSAKey

from app.security.keys import load_or_create_keyset, load_or_create_secret, new_key, parse_keyset
from app.security.tokens import TokenClaims, TokenCodec

T0 = 1_800_000_000


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def oct_jwk(kid: str | None, bits: int = 256) -> dict[str, Any]:
    data: dict[str, Any] = dict(OctKey.generate_key(bits).as_dict())
    if kid is not None:
        data["kid"] = kid
    return data


def keyset_text(*keys: dict[str, Any]) -> str:
    return json.dumps({"keys": list(keys)})


# --- the key file ------------------------------------------------------------------------


def test_creates_an_owner_only_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys.json"  # the directory does not exist yet

    keys = load_or_create_keyset(path, T0)

    assert path.exists()
    assert mode(path) == 0o600
    assert len(keys.keys) == 1
    key = keys.keys[0]
    assert key.kid is not None
    assert key.kid.startswith(f"{T0}-")
    assert len(key.raw_value) == 32
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json"]  # no temp file left


def test_the_second_call_loads_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = load_or_create_keyset(path, T0)
    text = path.read_text()

    second = load_or_create_keyset(path, T0 + 86400)

    assert path.read_text() == text
    assert [k.kid for k in second.keys] == [k.kid for k in first.keys]
    assert [k.raw_value for k in second.keys] == [k.raw_value for k in first.keys]


def test_a_restart_does_not_sign_anybody_out(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    claims = TokenClaims(
        7, "ann@example.com", "sid", "secret", T0, T0, T0 + 1, T0 + 2, T0 + 3, T0, ("pwd",)
    )
    token = TokenCodec(load_or_create_keyset(path, T0)).encode(claims)

    assert TokenCodec(load_or_create_keyset(path, T0 + 60)).decode(token) == claims


def test_two_fresh_files_get_different_keys(tmp_path: Path) -> None:
    a = load_or_create_keyset(tmp_path / "a.json", T0)
    b = load_or_create_keyset(tmp_path / "b.json", T0)
    assert a.keys[0].raw_value != b.keys[0].raw_value
    assert a.keys[0].kid != b.keys[0].kid


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o666])
def test_a_readable_file_is_tightened_to_0600(tmp_path: Path, loose: int) -> None:
    path = tmp_path / "keys.json"
    path.write_text(keyset_text(oct_jwk("given")))
    path.chmod(loose)

    keys = load_or_create_keyset(path, T0)

    assert mode(path) == 0o600
    assert [k.kid for k in keys.keys] == ["given"]  # loaded, not replaced


def test_an_invalid_key_file_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(keyset_text(oct_jwk("short", 128)))

    with pytest.raises(ValueError, match="256 bits"):
        load_or_create_keyset(path, T0)
    assert json.loads(path.read_text())["keys"][0]["kid"] == "short"  # left alone


def test_the_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret"
    secret = load_or_create_secret(path)

    assert mode(path) == 0o600
    assert len(secret) >= 43  # 32 random bytes, base64url
    assert load_or_create_secret(path) == secret
    assert load_or_create_secret(tmp_path / "other") != secret


def test_the_secret_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("given-secret\n")
    path.chmod(0o644)

    assert load_or_create_secret(path) == "given-secret"
    assert mode(path) == 0o600


# --- parsing -----------------------------------------------------------------------------


def test_new_key_is_a_256_bit_dir_key() -> None:
    data = new_key(T0)
    assert data["kty"] == "oct"
    assert data["alg"] == "dir"
    assert data["kid"].startswith(f"{T0}-")
    assert len(parse_keyset(keyset_text(data)).keys[0].raw_value) == 32


def test_parse_keyset_keeps_the_order_newest_last() -> None:
    keys = parse_keyset(keyset_text(oct_jwk("old"), oct_jwk("new")))
    assert [k.kid for k in keys.keys] == ["old", "new"]


_RSA = dict(RSAKey.generate_key(2048).as_dict(private=True)) | {"kid": "rsa"}

BAD_KEYSETS = [
    pytest.param(keyset_text(_RSA), id="RSA key"),
    pytest.param(keyset_text(oct_jwk("ok"), _RSA), id="RSA key among oct keys"),
    pytest.param(keyset_text(oct_jwk(None)), id="no kid"),
    pytest.param(keyset_text(oct_jwk("")), id="empty kid"),
    pytest.param(keyset_text(oct_jwk("ok"), oct_jwk(None)), id="second key without kid"),
    pytest.param(keyset_text(), id="empty set"),
    pytest.param(keyset_text(oct_jwk("short", 128)), id="128-bit key"),
    pytest.param(keyset_text(oct_jwk("long", 512)), id="512-bit key"),
    pytest.param(keyset_text(oct_jwk("ok"), oct_jwk("short", 128)), id="one 128-bit key"),
    pytest.param("[]", id="a list"),
    pytest.param("{}", id="no keys member"),
    pytest.param('{"keys": {}}', id="keys an object"),
    pytest.param('{"keys": ["k"]}', id="key a string"),
    pytest.param("not json", id="not JSON"),
    pytest.param("", id="empty text"),
]


@pytest.mark.parametrize("text", BAD_KEYSETS)
def test_parse_keyset_refuses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one kind of failure
        parse_keyset(text)
