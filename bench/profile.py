"""Where a rotation's time goes: one tier-3 request, in-process, under cProfile.

A fresh process (``python -m bench.profile --requests N``, pinned like ``inprocess``)
builds the app as a server would (``bench.subject:create``, SQLite, the system clock,
its lifespan entered), mints ``N`` sessions whose tokens are past their lifetime (each
request rotates its own session: ``Minter.tier3``), and calls the ASGI app directly for
``GET /dashboard``, one request at a time:

1. a warm-up, then ``N`` requests timed without the profiler (the ms per request);
2. ``N`` more under :mod:`cProfile`, on the event loop's thread and on every aiosqlite
   connection thread (``threading.setprofile`` starts a profiler in each thread the
   engine opens; the pool is emptied first so its connections are opened anew).

Each function's own time (``tottime``) goes to the stage its module belongs to
(``STAGES``: first match of the function's file, or of a C function's name, wins; a
builtin such as ``isinstance`` that matches none goes to its callers' stages, in the
shares the profile records per caller). Two
stages are a call subtree rather than a module: the activity-log row (the inclusive time
of ``record_event``, taken out of "queries", where its ORM flush sits) and the wait of
the event loop (``epoll.poll``, or on one core the queue ``put`` that hands a call to
the other thread) while an aiosqlite thread works: the SQLite calls that
thread made count as "queries" (``execute``, fetches) or "transaction" (``commit``,
``rollback``), the rest of the wait is the thread hand-off and counts as "transaction".
The shares are of the profiled total; the ms per request are those shares of the
unprofiled mean (the profiler slows Python code more than C code, so the shares lean
towards pure-Python stages: read them as an order, not to the percent).

Then the same again for the code before the cuts (the revision named in
``bench/profile_baseline.json``: its ``app/``, ``templates/`` and ``static/`` taken with
``git archive``, driven by this ``bench/``), so the report shows before and after from one
machine and one run; the recorded figures in that file stand in when git cannot.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.openloop import percentile
from bench.servers import APP_CPUS, ROOT, pinned

__all__ = ["BASELINE", "STAGES", "measure_profile"]

BASELINE = Path(__file__).with_name("profile_baseline.json")

# stage: what in a function's file (or a C function's name) puts its own time there
STAGES: dict[str, tuple[str, ...]] = {
    "hashing": ("hashlib", "_hashlib", "hmac", "argon2", "app/auth/refresh.py:hash_secret",
                "app/security/rotation.py"),
    "token": ("joserfc", "cryptography", "app/security/tokens.py", "app/security/keys.py",
              "_rust", "base64", "binascii", "json/"),
    "template": ("jinja2", "markupsafe", "templates/", "app/web/templating", "app/web/render"),
    "queries": ("sqlalchemy", "sqlmodel", "aiosqlite", "sqlite3", "greenlet",
                "app/auth/repository.py", "app/db/models.py"),
    "transaction": ("app/db/database.py", "app/db/engine.py", "threading.py", "queue.py",
                    "concurrent/futures", "_queue", "_read_from_self", "_socket.socket",
                    "_write_to_self", "call_soon_threadsafe"),
}  # fmt: skip
ORDER = (
    "queries",
    "transaction",
    "hashing",
    "token",
    "activity row",
    "template",
    "guard/framework",
)
_DB_CALLS = {"execute": "queries", "fetchone": "queries", "fetchall": "queries",
             "fetchmany": "queries", "commit": "transaction", "rollback": "transaction",
             "close": "transaction"}  # fmt: skip
# The event loop's thread waiting while an aiosqlite thread works: in epoll, or (one core)
# inside the hand-off itself, the queue put that lets the other thread run.
_IDLE = ("'select.epoll' objects>", "'put_nowait' of '_queue.SimpleQueue'",
         "'put' of '_queue.SimpleQueue'")  # fmt: skip
_ACTIVITY = ("app/shared/activity.py", "record_event")
_REST = "guard/framework"
_WAIT = "wait (DB thread)"  # split into queries and transaction by the threads' profiles
# This module's own loop and bench.inprocess's ASGI calls: not counted.
_HARNESS = ("bench/profile.py", "bench/inprocess.py")


def measure_profile(
    requests: int, work: Path, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """The current code's figures and the base revision's (``BASE``: its ``app/``,
    ``templates/`` and ``static/`` from git, driven by this ``bench/``), each in a fresh
    process, one after the other on the same machine. Without git or that revision, or
    when this bench no longer runs the old app, the recorded ``profile_baseline.json``."""
    current = _measure(ROOT, work / "profile", requests)
    _say(say, "now", current)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    tree = _base_tree(work / "profile-base-tree", str(baseline["revision"])) if baseline else None
    if tree is not None and baseline is not None:
        try:
            measured = _measure(tree, work / "profile-base", requests)
        except RuntimeError as error:
            say(f"  the base revision did not run here ({str(error)[-200:]}); recorded figures")
        else:
            baseline = measured | {"revision": baseline["revision"], "source": "this run"}
            _say(say, f"at {baseline['revision']}", baseline)
    return {"current": current, "baseline": baseline}


def _measure(root: Path, data_dir: Path, requests: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.profile", "--requests", str(requests)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env["APP_DATA_DIR"] = str(data_dir)
    output = subprocess.run(
        pinned(command, APP_CPUS), cwd=root, env=env, capture_output=True, text=True, check=False
    )
    if output.returncode != 0:
        raise RuntimeError(f"profile failed:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result | {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _base_tree(tree: Path, revision: str) -> Path | None:
    """The app at ``revision`` beside a copy of this bench/ (None: git cannot give it)."""
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "app", "templates", "static"],
        capture_output=True, check=False,
    )  # fmt: skip
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    shutil.copytree(ROOT / "bench", tree / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def _say(say: Callable[[str], None], what: str, figures: dict[str, Any]) -> None:
    say(
        f"  {what}: tier 3 mean {figures['mean_ms']:.2f} ms, p50 {figures['p50_ms']:.2f} ms, "
        f"CPU {figures['cpu_ms']:.2f} ms, {figures['db_calls']:.1f} aiosqlite calls"
    )
    say("    " + ", ".join(f"{s['stage']} {s['share'] * 100:.0f} %" for s in figures["stages"]))


def stage_of(key: str) -> str:
    """The stage of a function, by ``file:name`` (C functions: ``~:<built-in ...>``)."""
    if key.startswith("~:") and any(mark in key for mark in _IDLE):
        return _WAIT
    for stage, marks in STAGES.items():
        if any(mark in key for mark in marks):
            return stage
    return _REST


def breakdown(
    main: pstats.Stats, threads: list[pstats.Stats], mean_ms: float
) -> list[dict[str, Any]]:
    seconds = dict.fromkeys(ORDER, 0.0)
    idle = 0.0
    activity = 0.0
    for (file, _line, name), (_cc, _nc, tottime, cumtime, callers) in main.stats.items():  # type: ignore[attr-defined]
        key = f"{file}:{name}"
        if file.endswith(_HARNESS):
            continue
        if stage_of(key) == _WAIT:
            idle += tottime
            continue
        if all(mark in key for mark in _ACTIVITY):
            activity += cumtime
        stage = stage_of(key)
        if file == "~" and stage == _REST and callers:
            # A builtin (isinstance, getattr, ...) belongs to whoever called it.
            for (c_file, _l, c_name), caller in callers.items():
                seconds[_REST if c_file.endswith(_HARNESS) else stage_of(f"{c_file}:{c_name}")] += (
                    caller[2]
                )
            continue
        seconds[stage] += tottime
    worked = dict.fromkeys(("queries", "transaction"), 0.0)
    for stats in threads:
        for (file, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if file == "~" and "sqlite3" in name:
                verb = next((v for v in _DB_CALLS if f"'{v}'" in name), None)
                worked[_DB_CALLS[verb] if verb else "queries"] += tottime
    # The event loop's wait is the DB thread's work, then its hand-off back.
    for stage in ("queries", "transaction"):
        share = min(worked[stage], idle)
        seconds[stage] += share
        idle -= share
    seconds["transaction"] += idle
    moved = min(activity, seconds["queries"])
    seconds["queries"] -= moved
    seconds["activity row"] += moved
    total = sum(seconds.values())
    return [
        {"stage": stage, "share": value / total, "ms": mean_ms * value / total}
        for stage, value in seconds.items()
    ]


class _ThreadProfiles:
    """A cProfile in every thread started from now on (the aiosqlite connections)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []

    def __enter__(self) -> _ThreadProfiles:
        def start(*_: Any) -> None:
            profile = cProfile.Profile()
            self.profiles.append(profile)
            profile.enable()  # replaces this hook in the new thread

        threading.setprofile(start)
        return self

    def __exit__(self, *_: object) -> None:
        threading.setprofile(None)  # type: ignore[arg-type]


async def _run(requests: int, cookies: list[str], path: str, dump: Path | None) -> dict[str, Any]:
    from app.web.routes.pages import TIERS  # noqa: PLC0415
    from bench.inprocess import _call, _set_cookies  # noqa: PLC0415
    from bench.subject import create  # noqa: PLC0415

    app = create()
    async with app.lifespan():
        first = await _call(app, "", "/login")
        csrf = next((f"{k}={v}" for k, v in _set_cookies(first).items() if "csrf" in k), "")

        async def one() -> None:
            response = await _call(app, f"{csrf}; {cookies.pop()}", path)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")

        check = await _call(app, f"{csrf}; {cookies.pop()}", path)
        if check.status != 200 or TIERS[(3, True)].encode() not in check.body:
            raise RuntimeError(f"the first request was not a rotation: {check.status}")
        for _ in range(min(200, requests // 5)):  # warm-up
            await one()
        timings = []
        cpu = time.process_time()  # every thread's: the event loop's and aiosqlite's
        for _ in range(requests):
            begun = time.perf_counter()
            await one()
            timings.append((time.perf_counter() - begun) * 1000)
            await asyncio.sleep(0)
        cpu = time.process_time() - cpu
        with _ThreadProfiles() as threads:
            await app.state.engine.dispose()  # its connections reopen in profiled threads
            main = cProfile.Profile()
            main.enable()
            for _ in range(requests):
                await one()
                await asyncio.sleep(0)
            main.disable()
        for profile in threads.profiles:
            profile.disable()
    mean_ms = statistics.fmean(timings)
    stats = pstats.Stats(main)
    if dump is not None:
        stats.dump_stats(dump)
    top = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:15]  # type: ignore[attr-defined]
    return {
        "requests": requests,
        "mean_ms": mean_ms,
        "p50_ms": percentile(timings, 0.5),
        "p99_ms": percentile(timings, 0.99),
        # What other load on the machine changes least: CPU time, and counts of the work.
        "cpu_ms": cpu * 1000 / requests,
        "db_calls": sum(
            _calls(pstats.Stats(p), "asyncio/base_events.py", "call_soon_threadsafe")
            for p in threads.profiles
        )
        / requests,
        "loop_turns": _calls(stats, "asyncio/base_events.py", "_run_once") / requests,
        "profiled_ms": sum(v[2] for v in stats.stats.values()) * 1000 / requests,  # type: ignore[attr-defined]
        "stages": breakdown(stats, [pstats.Stats(p) for p in threads.profiles], mean_ms),
        "top": [
            {
                "function": f"{f}:{n}",
                "stage": stage_of(f"{f}:{n}"),
                "own_ms": v[2] * 1000 / requests,
            }
            for (f, _, n), v in top
        ],
    }


def _calls(stats: pstats.Stats, file: str, name: str) -> int:
    """How often a function was called: the loop's turns; aiosqlite's answers, each handed
    back from its thread (a coroutine's count would be of its resumptions)."""
    return sum(
        v[1]
        for (f, _, n), v in stats.stats.items()  # type: ignore[attr-defined]
        if f.endswith(file) and n == name
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--baseline", action="store_true", help="write bench/profile_baseline.json")
    parser.add_argument("--dump", type=Path, help="also write the event loop's pstats here")
    args = parser.parse_args()
    from app.config import load_settings  # noqa: PLC0415
    from app.security.cookies import AppCookies  # noqa: PLC0415
    from bench.machine import git_revision  # noqa: PLC0415
    from bench.page import EMAIL  # noqa: PLC0415
    from bench.sessions_db import Minter, migrated, sqlite_url  # noqa: PLC0415

    data_dir = Path(os.environ["APP_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    minter = Minter(migrated(sqlite_url(data_dir)), data_dir, settings)
    user = minter.add_user(EMAIL)
    warm = min(200, args.requests // 5)
    name = AppCookies.of(secure=settings.cookie_secure).auth.name
    tokens = minter.tier3(user, EMAIL, 2 * args.requests + warm + 1)
    minter.close()
    cookies = [f"{name}={t}" for t in tokens]
    result = asyncio.run(_run(args.requests, cookies, "/dashboard", args.dump))
    if args.baseline:
        result |= {
            "revision": git_revision(ROOT),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
        BASELINE.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
