"""Route handlers, one module per thing people do.

Pages are declared with :func:`view`: a ``GET`` that answers ``HEAD`` too (a monitor or a
link checker must not be told "405").
"""

from __future__ import annotations

from functools import partial

from litestar import route
from litestar.enums import HttpMethod

__all__ = ["view"]

view = partial(route, http_method=[HttpMethod.GET, HttpMethod.HEAD])
