"""``python -m bench [--quick] [--only SECTION]``: every measurement, then the report and
the chart.

The full run writes ``docs/benchmarks.md`` and ``docs/bench.svg``; ``--quick`` (a short
subset) writes beside the raw results in ``var/bench/``; ``--only`` measures the sections
named and keeps their raw results only (the report needs every section); ``--render``
rewrites the report and the chart from saved results without measuring.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.backends import measure_backends
from bench.cpu import CpuMeter
from bench.gateway import measure_gateway
from bench.inprocess import measure_inprocess
from bench.logins import measure_argon2
from bench.machine import describe_machine, git_revision
from bench.micro import measure_micro
from bench.plan import FULL, QUICK, Plan
from bench.profile import measure_profile
from bench.report import TARGETS, render_report
from bench.report.chart import ratio_chart
from bench.rotation import measure_rotation
from bench.scale import measure_scale
from bench.served import measure_served, say
from bench.servers import ROOT
from bench.signins import measure_signins
from bench.statements import count_statements
from bench.throughput import Summary
from bench.wrk import ensure_wrk

__all__ = ["main"]

# PyJWT (the JWTCookieAuth peer), uvloop (every server, on h11 as `app serve`), the PostgreSQL and
# Redis deployments (asyncpg, redis; psycopg makes their databases).
_NEEDED = ("jwt", "uvloop", "asyncpg", "redis", "psycopg")


def _statements(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    say("SQL statements per tier (in-process)")
    results["statements"] = [
        {"name": s.name, "count": s.count, "transactions": s.transactions, "summary": s.summary}
        for s in count_statements()
    ]


def _logins(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    say("argon2 cost and memory per concurrent login")
    results["argon2"] = asdict(measure_argon2(plan.concurrency))
    say(f"a sign-in with a second step against the password alone ({plan.signin_rounds} each)")
    results["signins"] = measure_signins(plan.signin_rounds, work)
    say(f"  two-step {results['signins']['ratio']:.2f}x a password sign-in")


def _micro(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    say("per-operation costs (in-process)")
    results["micro"] = measure_micro()


def _inprocess(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    say(f"each page in-process ({plan.inprocess_requests:,} requests, a process each)")
    results["inprocess"] = measure_inprocess(
        plan.inprocess_kinds, plan.inprocess_requests, work, say
    )


def _backends(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    measure_backends(plan, work, results, say)


def _rotation(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    say(f"rotation latency at {', '.join(f'{n:,}' for n in plan.sizes)} session rows")
    rotation = measure_rotation(
        work, plan.sizes, rounds=plan.rotation_rounds, per_round=plan.rotation_per_round, say=say
    )
    results["rotation"] = [
        {
            "rows": r.rows,
            "rows_after": r.rows_after,
            "fill_seconds": r.fill_seconds,
            "samples": len(r.tier3_ms),
            "tier3_p50_ms": r.tier3_p50,
            "tier3_p99_ms": r.tier3_p99,
            "tier1_p50_ms": r.tier1_p50,
        }
        for r in rotation
    ]


def _profile(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    say(f"where a rotation's time goes ({plan.profile_requests:,} tier-3 requests, cProfile)")
    results["profile"] = measure_profile(plan.profile_requests, work, say)


# In the order they run; each fills its keys of the results (README.md: which ones).
SECTIONS: dict[str, Callable[[Plan, Path, dict[str, Any]], None]] = {
    "statements": _statements,
    "logins": _logins,
    "micro": _micro,
    "inprocess": _inprocess,
    "served": measure_served,
    "backends": _backends,
    "rotation": _rotation,
    "profile": _profile,
    "gateway": measure_gateway,
    "scale": measure_scale,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short subset (1-2 minutes)")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"measure this section alone (repeatable; one of: {', '.join(SECTIONS)}); "
        "its results go to var/bench/results-<plan>-only.json, no report is written",
    )
    parser.add_argument("--out", type=Path, help="the Markdown report")
    parser.add_argument("--svg", type=Path, help="the chart")
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="measure nothing: rewrite from saved results"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    kept = ROOT / "var" / "bench"  # results and the quick report
    work = kept / plan.name  # servers' data, logs, token pools: wiped at each run
    out = args.out or (kept / "benchmarks-quick.md" if args.quick else ROOT / "docs/benchmarks.md")
    svg = args.svg or (kept / "bench-quick.svg" if args.quick else ROOT / "docs/bench.svg")
    if args.render:
        _write(json.loads(args.render.read_text()), out, svg)
        return 0
    begun = time.monotonic()
    # A plain kill still stops the servers this run started (the ExitStacks unwind).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ensure_wrk()
    missing = [m for m in _NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing: pip install -e '.[bench]'")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cpu = CpuMeter().start()
    results: dict[str, Any] = {
        "plan": asdict(plan),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": git_revision(ROOT),
        "machine": describe_machine(),
        "load_before": os.getloadavg()[0],
    }
    for name, measure in SECTIONS.items():
        if not args.only or name in args.only:
            measure(plan, work, results)
    results["elapsed_seconds"] = time.monotonic() - begun
    results["others_cpu_seconds"] = cpu.others()
    results["load_after"] = os.getloadavg()[0]

    if args.only:
        saved = kept / f"results-{plan.name}-only.json"
        saved.write_text(json.dumps(results, indent=2))
        say(f"\nwrote {saved} in {results['elapsed_seconds'] / 60:.1f} min (no report)")
        return 0
    (kept / f"results-{plan.name}.json").write_text(json.dumps(results, indent=2))
    _write(results, out, svg)
    say(f"\nwrote {out} and {svg} in {results['elapsed_seconds'] / 60:.1f} min")
    return 0


def _write(results: dict[str, Any], out: Path, svg: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    svg.parent.mkdir(parents=True, exist_ok=True)
    summaries = [Summary(**s) for s in results["throughput"]]
    svg.write_text(ratio_chart(summaries, TARGETS, "Throughput vs a bare Litestar page"))
    out.write_text(render_report(results, chart=os.path.relpath(svg, out.parent)))
