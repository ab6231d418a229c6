"""Settings for tests: hermetic (nothing is read from the shell), cheap argon2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.config import Settings

__all__ = ["BASE_URL", "PASSWORD", "START", "make_settings"]

BASE_URL = "https://testserver.local"
START = 1_800_000_000  # 2027-01-15T08:00:00Z
PASSWORD = "correct horse battery staple"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "base_url": BASE_URL,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 8,
        "argon2_parallelism": 1,
        "test_clock": True,
        "purge_interval": 0,
        # The denylist mirror learns of this process's own revocations at once; a test about
        # other processes sets a short poll. A background query mid-test would muddle the
        # statement counts that prove the fast path free of SQL.
        "revocation_poll": 60,
        "revocation_max_lag": 3600,
        "outbox_poll": 60,  # the sender is woken by this process's own commits
        "gc_freeze": False,  # hundreds of apps in one process: a full collection each
        **overrides,
    }
    return Settings(**values)
