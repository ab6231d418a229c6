"""``docs/benchmarks.md`` from the results of one run (also kept as JSON in ``var/bench/``).

This module puts the page together; the parts are :mod:`bench.report.goals` (the targets
and "Reading the misses"), :mod:`bench.report.sections` and :mod:`bench.report.load` (one
table and its notes per section), :mod:`bench.report.method` (how it was measured) and
:mod:`bench.report.chart` (``docs/bench.svg``).
"""

from __future__ import annotations

from typing import Any

from bench.report import gateway, load, sections
from bench.report.goals import TARGETS, misses, targets_table
from bench.report.method import method_notes

__all__ = ["TARGETS", "render_report"]

_REPRODUCE = (
    "`make bench` (this report and `docs/bench.svg`, about 12 minutes on 2 cores; it "
    "installs the `bench` extra: PyJWT for the `JWTCookieAuth` peer, "
    "asyncpg, redis and psycopg; the stacks' own venv, `var/bench-venv`, from "
    "`bench/stacks/requirements.txt`; and Debian's `wrk` when missing; "
    "PostgreSQL and Redis must be installed, as `make services` checks) or "
    "`make bench-quick` (a short subset, written to `var/bench/`). Raw results of the "
    "last run: `var/bench/results-full.json` (`python -m bench --render "
    "var/bench/results-full.json` rewrites this page from it); server logs: "
    "`var/bench/full/*/server.log`."
)


def _heading(results: dict[str, Any]) -> list[str]:
    quick = results["plan"]["name"] == "quick"
    minutes = results["elapsed_seconds"] / 60
    cores = int(results["machine"]["CPUs (nproc)"])
    share = 100 * results["others_cpu_seconds"] / (results["elapsed_seconds"] * cores)
    return [
        "# Benchmarks" + (" (quick subset: `make bench-quick`)" if quick else ""),
        "",
        f"Written by `make bench{'-quick' if quick else ''}` on {results['date']} at revision "
        f"{results['revision']}; the whole run took {minutes:.1f} minutes. Absolute numbers "
        "drift on a shared machine: the ratios, measured interleaved in one run, are the "
        f"result. Other processes on the machine used {results['others_cpu_seconds']:.0f} "
        f"CPU-seconds during the run ({share:.0f} % of all its cores); load average "
        f"{results['load_before']:.1f} at the start, {results['load_after']:.1f} at the end.",
    ]


def render_report(results: dict[str, Any], *, chart: str) -> str:
    machine = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in results["machine"].items())]
    body = [
        ("Against the targets", [*targets_table(results), *misses(results)]),
        ("Machine", machine),
        ("Method", method_notes(results)),
        (
            "Throughput: the page against a bare Litestar page and the peers",
            sections.throughput(results, chart),
        ),
        ("Each page in-process (the ASGI app called directly)", sections.inprocess(results)),
        ("SQL statements per request", sections.statements(results)),
        ("The fast path during a login storm", load.storm(results)),
        ("The fast path during a strength flood", load.flood(results)),
        ("Backends and workers: SQLite, PostgreSQL, PostgreSQL + Redis", load.backends(results)),
        ("Rotation latency and the size of the session table", sections.rotation(results)),
        ("Scale: live revocations per worker, 10^7 session rows", sections.scale(results)),
        ("Where a rotation's time goes (in-process, cProfile)", sections.profile(results)),
        ("Logins", sections.logins(results)),
        ("Where the auth time goes (in-process, no HTTP)", sections.micro(results)),
        ("Forward auth in front of another app (nginx)", gateway.gateway(results)),
        ("Reproduce", [_REPRODUCE]),
    ]
    parts = _heading(results)
    for title, lines in body:
        parts += ["", f"## {title}", "", *lines]
    return "\n".join([*parts, ""])
