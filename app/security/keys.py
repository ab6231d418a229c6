"""Keys that persist across restarts, in files readable only by their owner.

The token keys are a JWK set (newest last): the newest encrypts, every key in
the set decrypts the tokens that name it by ``kid``.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
from collections.abc import Collection
from pathlib import Path

import structlog
from joserfc.jwk import KeySet, OctKey

from app.config import Settings

log = structlog.get_logger("app")

__all__ = [
    "deployment_secrets",
    "load_or_create_keyset",
    "load_or_create_secret",
    "new_key",
    "parse_keyset",
    "prune_keyset",
    "rotate_keyset",
]


def new_key(created_at: int) -> dict[str, str]:
    secret = OctKey.generate_key(256).as_dict()["k"]
    if not isinstance(secret, str):
        raise TypeError("an oct key's 'k' is a string")
    return {
        "kty": "oct",
        "k": secret,
        "kid": f"{created_at}-{secrets.token_hex(4)}",
        "alg": "dir",
        "use": "enc",
    }


def parse_keyset(text: str) -> KeySet:
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
        raise ValueError("a key set is a JSON object with a non-empty 'keys' list")
    for key in data["keys"]:
        if not isinstance(key, dict) or key.get("kty") != "oct" or not key.get("kid"):
            raise ValueError("every key must be an 'oct' key with a 'kid'")
    keyset = KeySet.import_key_set(data)  # type: ignore[arg-type]
    for key in keyset.keys:
        if len(key.raw_value) != 32:  # type: ignore[arg-type]
            raise ValueError("every key must be 256 bits (A256GCM)")
    return keyset


def _write_private(path: Path, text: str) -> None:
    """Write atomically; the file is 0600 from its first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temp, path)


def _read_private(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path.read_text(encoding="utf-8")


def _create_private(path: Path, text: str) -> None:
    """Create ``path`` unless it exists: of several workers starting at once, one key wins
    and every worker reads that one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        os.link(temp, path)  # atomic, and fails if another process created it first
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def load_or_create_keyset(path: Path, now: int) -> KeySet:
    if not path.exists():
        _create_private(path, json.dumps({"keys": [new_key(now)]}, indent=2))
    return parse_keyset(_read_private(path))


def load_or_create_secret(path: Path) -> str:
    if not path.exists():
        _create_private(path, secrets.token_urlsafe(32))
    return _read_private(path).strip()


def _key_created_at(key: dict[str, object]) -> int:
    prefix = str(key.get("kid", "")).split("-", 1)[0]
    return int(prefix) if prefix.isdecimal() else 0


def rotate_keyset(path: Path, now: int) -> str:
    """Add a new newest key (it encrypts from the next start); return its kid."""
    data = json.loads(_read_private(path)) if path.exists() else {"keys": []}
    key = new_key(now)
    data["keys"].append(key)
    parse_keyset(json.dumps(data))  # never write a set that would not load
    _write_private(path, json.dumps(data, indent=2))
    return key["kid"]


def prune_keyset(path: Path, now: int, max_age: int, *, in_use: Collection[str] = ()) -> list[str]:
    """Drop keys retired (replaced by a newer key) more than ``max_age`` ago; return kids.

    ``max_age`` is the session's absolute lifetime: a token past its own expiry is still
    what a returning user presents to refresh, for as long as the session lives.
    The newest key is never dropped, nor a key in ``in_use`` (a sealed secret stored in
    the database names it: an authenticator app's secret lives as long as the account).
    """
    data = json.loads(_read_private(path))
    keys: list[dict[str, object]] = data["keys"]
    kept = [
        key
        for key, successor in itertools.pairwise(keys)
        if now - _key_created_at(successor) < max_age or str(key.get("kid")) in in_use
    ] + [keys[-1]]
    dropped = [str(k.get("kid")) for k in keys if k not in kept]
    if dropped:
        _write_private(path, json.dumps({"keys": kept}, indent=2))
    return dropped


def deployment_secrets(settings: Settings, now: int) -> tuple[KeySet, str]:
    """The token keys and the CSRF secret: from the settings (the same on every host), or
    from files under the data directory (one host's, created on first start). Several
    hosts behind one load balancer must share them: start-up warns when a database
    others can reach is used with secrets from local files."""
    keys = (
        parse_keyset(settings.keys.get_secret_value())
        if settings.keys is not None
        else load_or_create_keyset(settings.resolved_keys_file, now)
    )
    csrf_secret = (
        settings.csrf_secret.get_secret_value()
        if settings.csrf_secret is not None
        else load_or_create_secret(settings.data_dir / "csrf.key")
    )
    local = [
        name
        for name, value in (("APP_KEYS", settings.keys), ("APP_CSRF_SECRET", settings.csrf_secret))
        if value is None
    ]
    if local and not settings.is_sqlite:
        log.warning(
            "secrets_from_local_files",
            from_files=",".join(local),
            advice="hosts behind one load balancer must share APP_KEYS and APP_CSRF_SECRET",
        )
    return keys, csrf_secret
