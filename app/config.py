"""Settings: one typed, frozen object built from ``APP_*`` environment variables.

Nothing here is read at import time; :func:`load_settings` is called by
``create_app`` and tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Duration", "Settings", "load_settings", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?P<n>\d+)\s*(?P<unit>[smhd]?)")


def parse_duration(value: Any) -> int:
    """``3600``, ``"3600"``, ``"15m"``, ``"7d"`` -> seconds. Anything else is a ValueError."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a number with s, m, h or d")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip().lower())):
        seconds = int(match["n"]) * _UNITS[match["unit"] or "s"]
    else:
        raise ValueError(
            f"{value!r} is not a duration: use seconds (3600) "
            "or a number with s, m, h or d (15m, 7d)"
        )
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[int, BeforeValidator(parse_duration)]


class Settings(BaseSettings):
    """Every setting of the app. Durations are stored as whole seconds."""

    model_config = SettingsConfigDict(env_prefix="APP_", frozen=True, extra="forbid")

    data_dir: Path = Path("var")
    database_url: str = ""
    keys_file: Path | None = None
    keys: SecretStr | None = None

    access_ttl: Duration = 3600
    token_ttl: Duration = 86400
    session_ttl: Duration = 14 * 86400
    session_max_age: Duration = 30 * 86400
    rotation_grace: Duration = 30
    revocation_store: str = "memory"
    event_retention: Duration = 90 * 86400
    purge_interval: Annotated[
        int, BeforeValidator(lambda v: 0 if v in {0, "0"} else parse_duration(v))
    ] = 3600

    login_max_failures: Annotated[int, Field(ge=1, le=100)] = 10
    login_window: Duration = 15 * 60
    ip_max_attempts: Annotated[int, Field(ge=1)] = 100
    ip_window: Duration = 15 * 60

    token_cache_size: Annotated[int, Field(ge=0)] = 10_000
    max_body: Annotated[int, Field(gt=0)] = 64 * 1024
    cookie_secure: bool = True
    test_clock: bool = False

    password_min_length: Annotated[int, Field(ge=8, le=64)] = 12
    password_max_length: Annotated[int, Field(ge=64, le=4096)] = 1024
    argon2_time_cost: Annotated[int, Field(ge=1)] = 2
    argon2_memory_cost: Annotated[int, Field(ge=8)] = 19 * 1024
    argon2_parallelism: Annotated[int, Field(ge=1)] = 1
    hash_concurrency: Annotated[int, Field(ge=1)] | None = None

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _lifetimes_nest(self) -> Settings:
        if not self.access_ttl <= self.token_ttl <= self.session_ttl <= self.session_max_age:
            raise ValueError(
                "lifetimes must nest: ACCESS_TTL <= TOKEN_TTL <= SESSION_TTL <= SESSION_MAX_AGE"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'app.db'}"

    @property
    def resolved_keys_file(self) -> Path:
        return self.keys_file or self.data_dir / "keys.json"

    @property
    def auth_cookie_name(self) -> str:
        # __Host- binds the cookie to this exact origin: Secure, Path=/, no Domain.
        return "__Host-auth" if self.cookie_secure else "auth"

    @property
    def csrf_cookie_name(self) -> str:
        return "__Host-csrf" if self.cookie_secure else "csrf"


def load_settings() -> Settings:
    """Build the settings from the environment (the only place that reads it)."""
    return Settings()
