"""Route handlers, one module per thing people do; what several of them share is here
(route modules import services and this package, never each other).

Pages are declared with :func:`view`: a ``GET`` that answers ``HEAD`` too (a monitor or a
link checker must not be told "405").
"""

from __future__ import annotations

from functools import partial

from litestar import route
from litestar.enums import HttpMethod

from app.auth.types import Throttled

__all__ = ["NO_REFERRER", "TOO_MANY", "too_many", "view"]

view = partial(route, http_method=[HttpMethod.GET, HttpMethod.HEAD])

TOO_MANY = "Too many attempts. Please try again in {wait}."
# Pages whose address holds a mailed token: it must not leave in a Referer, nor be cached.
NO_REFERRER = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def too_many(throttled: Throttled) -> tuple[str, dict[str, str]]:
    """The message and the ``Retry-After`` header for a throttled attempt."""
    minutes = -(-throttled.retry_after // 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return TOO_MANY.format(wait=wait), {"Retry-After": str(throttled.retry_after)}
