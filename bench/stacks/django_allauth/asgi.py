"""``uvicorn bench.stacks.django_allauth.asgi:create --factory``."""

from __future__ import annotations

import os
from typing import Any


def create() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.stacks.django_allauth.settings")
    from django.core.asgi import get_asgi_application  # noqa: PLC0415 (after the settings)

    return get_asgi_application()
