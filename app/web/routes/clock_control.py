"""``/_test/clock``: move the deployment's clock. Mounted only when ``APP_TEST_CLOCK`` is on.

No CSRF token is needed, but the body must be JSON (a cross-site form cannot send
``application/json`` without the browser asking first) and the same-origin check applies,
so another site cannot move a test deployment's time either.
"""

from __future__ import annotations

import math
from typing import Any

from litestar import Request, Response, post

from app.clock import from_iso, to_iso
from app.web.deps import ClockControlDep
from app.web.guard import NO_AUTH
from app.web.routes import view

__all__ = ["move_clock", "read_clock"]

UNGUARDED = {**NO_AUTH, "exclude_from_csrf": True}
_YEAR_9001 = 221_876_928_000  # 9001-01-01: times past the year 9000 are refused


@view("/_test/clock", name="test_clock", opt=UNGUARDED)
async def read_clock(clock_control: ClockControlDep) -> dict[str, str]:
    return {"now": to_iso(await clock_control.read())}


@post("/_test/clock", name="test_clock_move", status_code=200, opt=UNGUARDED)
async def move_clock(
    request: Request[Any, Any, Any], clock_control: ClockControlDep
) -> Response[Any]:
    if request.content_type[0] != "application/json":
        return _bad('Send JSON (Content-Type: application/json): {"advance": seconds}.')
    try:
        body = await request.json()
    except Exception:  # any undecodable body is the client's mistake
        body = None
    if not isinstance(body, dict):
        return _bad('Send a JSON object: {"advance": seconds} or {"set": "<ISO-8601>"}.')
    if "advance" in body:
        seconds = body["advance"]
        valid = isinstance(seconds, int | float) and not isinstance(seconds, bool)
        now = await clock_control.read()
        if not valid or not math.isfinite(seconds) or not _representable(now + seconds):
            return _bad('"advance" must be a number of seconds (the result within 1970-9000).')
        moved = await clock_control.advance(int(seconds))
    elif "set" in body:
        try:
            when = from_iso(str(body["set"]))
        except (ValueError, OverflowError):
            return _bad('"set" must be an ISO-8601 date and time.')
        if not _representable(when):
            return _bad('"set" must be within the years 1970-9000.')
        moved = await clock_control.set(when)
    else:
        return _bad('Send {"advance": seconds} or {"set": "<ISO-8601>"}.')
    return Response({"now": to_iso(moved)})


def _representable(when: float) -> bool:
    return 0 <= when < _YEAR_9001


def _bad(message: str) -> Response[dict[str, str]]:
    return Response({"error": message}, status_code=400)
