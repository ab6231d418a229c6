"""Unit tests are pure: no APP_* variable of the caller's shell may leak into them."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_app_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("APP_"):
            monkeypatch.delenv(name)
