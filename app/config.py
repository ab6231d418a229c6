"""Settings: one typed, frozen object.

``Settings(...)`` reads nothing but its arguments (tests build it directly and stay
hermetic); :func:`load_settings` is the one place that reads ``APP_*`` from the
environment, and ``create_app`` calls it when it is given no settings.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator

__all__ = [
    "Duration",
    "Interval",
    "Settings",
    "load_settings",
    "parse_duration",
    "parse_interval",
]

ENV_PREFIX = "APP_"
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|[smhd]?)")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _seconds(value: Any, *, fractions: bool) -> float:
    if isinstance(value, bool) or (isinstance(value, float) and not fractions):
        raise ValueError("a duration is a whole number of seconds or a number with s, m, h or d")
    match = _DURATION.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if isinstance(value, int | float):
        seconds = float(value)
    elif match and (fractions or ("." not in match["n"] and match["unit"] != "ms")):
        seconds = float(match["n"]) * _UNITS[match["unit"] or "s"]
    else:
        raise ValueError(
            f"{value!r} is not a duration: use seconds (3600) "
            "or a number with s, m, h or d (15m, 7d)"
        )
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def parse_duration(value: Any) -> int:
    """``3600``, ``"3600"``, ``"15m"``, ``"7d"`` -> whole seconds. Anything else: ValueError."""
    return int(_seconds(value, fractions=False))


def parse_interval(value: Any) -> float:
    """Like :func:`parse_duration`, but fractions and milliseconds (``250ms``, ``0.5``) are
    allowed: for how often something runs, not for a lifetime."""
    return _seconds(value, fractions=True)


def _optional_duration(value: Any) -> int:
    return 0 if value in {0, "0"} else parse_duration(value)


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _networks(value: Any) -> Any:
    items = _comma_list(value)
    for item in items or ():
        ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
    return items


Duration = Annotated[int, BeforeValidator(parse_duration)]
Interval = Annotated[float, BeforeValidator(parse_interval)]
HostList = Annotated[list[str], BeforeValidator(_comma_list)]
NetworkList = Annotated[list[str], BeforeValidator(_networks)]


SITE_NAME = "Sessions + JWT"  # what the pages' titles and authenticator apps call the site


class Settings(BaseModel):
    """Every setting of the app. Durations are whole seconds, intervals seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- Deployment: what an operator sets (README "Settings", first table) --------------
    base_url: str = "http://127.0.0.1:8000"
    allowed_hosts: HostList = Field(default_factory=list)
    trusted_proxies: NetworkList = Field(default_factory=list)
    data_dir: Path = Path("var")
    database_url: str = ""
    auto_migrate: bool = True
    revocation_store: str = "memory"
    keys_file: Path | None = None
    keys: SecretStr | None = None
    csrf_secret: SecretStr | None = None
    smtp_url: SecretStr | None = None
    mail_from: str = "no-reply@localhost"
    new_device_alerts: bool = True  # mail the address at a sign-in from an unknown browser
    cookie_secure: bool = True
    log_level: str = "INFO"
    totp_issuer: Annotated[str, Field(min_length=1, max_length=64)] = SITE_NAME
    webauthn_rp_id: str | None = None  # default: the host of base_url

    # --- Lifetimes ----------------------------------------------------------------------
    access_ttl: Duration = 3600
    token_ttl: Duration = 86400
    session_ttl: Duration = 14 * 86400
    session_max_age: Duration = 30 * 86400
    rotation_grace: Duration = 30
    reset_ttl: Duration = 3600
    verify_ttl: Duration = 86400
    event_retention: Duration = 90 * 86400
    reauth_ttl: Duration = 300  # a proof of the person lets them change sign-in methods
    mfa_challenge_ttl: Duration = 300  # the step between the password and the second factor

    # --- Throttling and limits ----------------------------------------------------------
    login_max_failures: Annotated[int, Field(ge=1, le=100)] = 10
    login_window: Duration = 15 * 60
    account_max_failures: Annotated[int, Field(ge=1, le=10_000)] = 100
    ip_max_attempts: Annotated[int, Field(ge=1)] = 100
    ip_window: Duration = 15 * 60
    mail_max_per_address: Annotated[int, Field(ge=1, le=1000)] = 3
    mail_window: Duration = 15 * 60
    max_body: Annotated[int, Field(gt=0)] = 64 * 1024

    # --- Passwords ----------------------------------------------------------------------
    password_min_length: Annotated[int, Field(ge=8, le=64)] = 12
    password_max_length: Annotated[int, Field(ge=64, le=4096)] = 1024
    argon2_time_cost: Annotated[int, Field(ge=1)] = 2
    argon2_memory_cost: Annotated[int, Field(ge=8)] = 19 * 1024
    argon2_parallelism: Annotated[int, Field(ge=1)] = 1
    hash_concurrency: Annotated[int, Field(ge=1)] | None = None

    # --- Tuning: the defaults suit most deployments -------------------------------------
    db_pool_size: Annotated[int, Field(ge=1, le=1000)] = 5
    db_max_overflow: Annotated[int, Field(ge=0, le=1000)] = 10
    db_timeout: Interval = 5.0  # connecting, each statement, waiting for a pooled connection
    revocation_poll: Interval = 0.25
    revocation_max_lag: Interval = 5.0
    purge_interval: Annotated[int, BeforeValidator(_optional_duration)] = 3600
    outbox_poll: Interval = 1.0
    token_cache_size: Annotated[int, Field(ge=0)] = 10_000
    gc_freeze: bool = True  # freeze what start-up built out of the garbage collector's way

    # --- Development: never in production (serve refuses some beyond loopback) ---------
    dev_mailbox: bool = False
    test_clock: bool = False
    allow_dev_on_public: bool = False  # dev_mailbox / test_clock beyond loopback
    allow_insecure_cookies: bool = False
    template_auto_reload: bool = False
    openapi: bool = False  # /schema: a development aid, never on in production

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if not self.access_ttl <= self.token_ttl <= self.session_ttl <= self.session_max_age:
            raise ValueError(
                "lifetimes must nest: ACCESS_TTL <= TOKEN_TTL <= SESSION_TTL <= SESSION_MAX_AGE"
            )
        base = urlsplit(self.base_url)
        if base.scheme not in {"http", "https"} or not base.hostname or base.path not in {"", "/"}:
            raise ValueError("BASE_URL must be an origin such as https://auth.example.com")
        host = base.hostname
        rp_id = self.webauthn_rp_id
        if rp_id is not None and not (host == rp_id or host.endswith("." + rp_id)):
            raise ValueError("WEBAUTHN_RP_ID must be BASE_URL's host or a domain it is under")
        if self.csrf_secret is not None and len(self.csrf_secret.get_secret_value()) < 32:
            raise ValueError("CSRF_SECRET must be at least 32 characters")
        if self.revocation_poll >= self.revocation_max_lag:
            raise ValueError("REVOCATION_POLL must be shorter than REVOCATION_MAX_LAG")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'app.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def uses_redis(self) -> bool:
        return self.revocation_store.startswith(("redis://", "rediss://", "unix://"))

    @property
    def resolved_keys_file(self) -> Path:
        return self.keys_file or self.data_dir / "keys.json"

    @property
    def resolved_allowed_hosts(self) -> list[str]:
        """The Host names this deployment answers to (anything else gets 400)."""
        hosts = list(self.allowed_hosts or _LOOPBACK_HOSTS)
        base_host = urlsplit(self.base_url).hostname
        if base_host:
            hosts.append(f"[{base_host}]" if ":" in base_host else base_host)
        return list(dict.fromkeys(host.lower() for host in hosts))

    @property
    def resolved_rp_id(self) -> str:
        """The passkeys' relying-party ID: ``APP_WEBAUTHN_RP_ID``, else the base URL's host."""
        return self.webauthn_rp_id or urlsplit(self.base_url).hostname or "localhost"

    @property
    def passkeys_available(self) -> bool:
        """A raw IP address is never a relying-party ID: passkeys need a domain name
        (``localhost`` will do on one machine)."""
        try:
            ipaddress.ip_address(self.resolved_rp_id.strip("[]"))
        except ValueError:
            return True
        return False

    @property
    def base_origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``APP_*`` variables (the only place that reads them).

    An ``APP_`` variable that names no setting stops start-up: a typo would otherwise
    silently leave the default in force.
    """
    source = os.environ if environ is None else environ
    values = {
        name[len(ENV_PREFIX) :].lower(): value
        for name, value in source.items()
        if name.startswith(ENV_PREFIX)
    }
    return Settings.model_validate(values)
