"""``docs/benchmarks.md`` from the results of one run (also kept as JSON in ``var/bench/``)."""

from __future__ import annotations

import statistics
from typing import Any

from bench.method import WHAT, method_notes

__all__ = ["DASH", "TARGETS", "X", "render_report"]

X = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"
TARGETS = {"tier 1 target": 0.90, "tier 2 target": 0.55}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _per_round(results: dict[str, Any], key: str, other: str) -> float:
    runs = results["runs"]
    return statistics.median(
        a["rps"] / b["rps"] for a, b in zip(runs[key], runs[other], strict=True)
    )


def _targets(results: dict[str, Any]) -> list[str]:
    by_key = {s["key"]: s for s in results["throughput"]}
    storm = results["storm"][0]
    statements = {s["name"]: s for s in results["statements"]}
    quiet = [s for name, s in statements.items() if name.startswith(("tier 1", "tier 2"))]
    tier3 = statements["tier 3 (rotate)"]
    rotation = results["rotation"]
    small, large = rotation[0], rotation[-1]
    growth = large["tier3_p50_ms"] / small["tier3_p50_ms"]
    tier1, tier2 = by_key["tier1"]["ratio"], by_key["tier2"]["ratio"]
    vs_jwt = _per_round(results, "tier1", "jwt")
    storm_factor = storm["storm_p99_ms"] / storm["rest_p99_ms"]
    rows = [
        (
            "Fast path (tier 1) vs the unguarded page",
            f"≥ 0.90{X}",
            f"{tier1:.2f}{X}",
            tier1 >= 0.90,
        ),
        ("Fast path vs Litestar `JWTCookieAuth`", f"≥ 1.8{X}", f"{vs_jwt:.2f}{X}", vs_jwt >= 1.8),
        ("Renew (tier 2) vs the unguarded page", f"≥ 0.55{X}", f"{tier2:.2f}{X}", tier2 >= 0.55),
        (
            f"Fast-path p99 in a {storm['clients']}-client login storm vs at rest",
            f"≤ 3{X}",
            f"{storm_factor:.1f}{X} ({storm['storm_p99_ms']:.2f} vs {storm['rest_p99_ms']:.2f} ms)",
            storm_factor <= 3,
        ),
        (
            "SQL statements per request, tiers 1 and 2",
            "0",
            ", ".join(str(s["count"]) for s in quiet),
            all(s["count"] == 0 for s in quiet),
        ),
        (
            "Tier 3 (rotate)",
            "one short transaction",
            f"{tier3['transactions']} transaction, {tier3['count']} statements",
            tier3["transactions"] == 1,
        ),
        (
            f"Rotation p50 at {large['rows']:,} rows vs {small['rows']:,} rows",
            "independent of size (within 25 %)",
            f"{growth:.2f}{X} ({large['tier3_p50_ms']:.2f} vs {small['tier3_p50_ms']:.2f} ms)",
            growth <= 1.25,
        ),
        (
            "Auth cookie (`name=value`)",
            "≤ 1 KB",
            f"{results['cookie_bytes']} B",
            results["cookie_bytes"] <= 1024,
        ),
    ]
    lines = ["| target | goal | measured | |", "|---|---|---|---|"]
    lines += [f"| {what} | {goal} | {measured} | {_met(ok)} |" for what, goal, measured, ok in rows]
    return lines


def _throughput(results: dict[str, Any], chart: str) -> list[str]:
    lines = [
        f"| variant | what it is | req/s | {X} unguarded (lowest{DASH}highest round) "
        "| p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in results["throughput"]:
        lines.append(
            f"| {s['label']} | {WHAT[s['key']]} | {s['rps']:,.0f} | **{s['ratio']:.2f}{X}** "
            f"({s['ratio_low']:.2f}{DASH}{s['ratio_high']:.2f}) "
            f"| {s['p50_ms']:.2f} | {s['p99_ms']:.2f} |"
        )
    size = results["throughput"][0]["bytes_per_response"]
    tier3 = next((s for s in results["throughput"] if s["key"] == "tier3"), None)
    if tier3 is not None and tier3["p99_ms"] > 10 * tier3["p50_ms"]:
        lines += [
            "",
            f"Tier 3's p99 ({tier3['p99_ms']:.0f} ms against a p50 of {tier3['p50_ms']:.0f} ms)"
            f" is {results['plan']['connections']} connections rotating different sessions at"
            " once: their transactions meet in SQLite, and a writer that finds the database"
            " locked waits in SQLite's busy handler, which sleeps in steps of up to 100 ms.",
        ]
    lines += [
        "",
        f"Every variant answered 200 with the same page ({size:,.0f} bytes with headers); "
        "wrk counted any other status, and a run with one would have stopped the benchmark.",
        "",
        f"![throughput relative to the unguarded page]({chart})",
    ]
    return lines


def _statements(results: dict[str, Any]) -> list[str]:
    lines = ["| request | statements | transactions | which |", "|---|---:|---:|---|"]
    lines += [
        f"| {s['name']} | {s['count']} | {s['transactions']} | {s['summary']} |"
        for s in results["statements"]
    ]
    return lines


def _storm(results: dict[str, Any]) -> list[str]:
    runs = results["storm"]
    first = runs[0]
    lines = [
        "| server | at rest p50 / p99 ms | in the storm p50 / p99 / max ms | p99 storm/rest "
        "| logins/s | login p50 / p99 ms | server memory before / peak |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in runs:
        lines.append(
            f"| {s['label']} | {s['rest_p50_ms']:.2f} / {s['rest_p99_ms']:.2f} "
            f"| {s['storm_p50_ms']:.2f} / **{s['storm_p99_ms']:.2f}** / {s['storm_max_ms']:.1f} "
            f"| {s['storm_p99_ms'] / s['rest_p99_ms']:.1f}{X} | {s['logins_per_second']:.1f} "
            f"| {s['login_p50_ms']:.0f} / {s['login_p99_ms']:.0f} "
            f"| {s['rss_rest_mib']:.0f} / {s['rss_peak_mib']:.0f} MiB |"
        )
    lines += [
        "",
        f"The probe sends tier-1 requests to `/dashboard` at {first['rate']:.0f} requests/s, "
        f"{first['seconds']:.0f} s at rest then {first['seconds']:.0f} s during the storm, "
        f"{_count(first['rounds'], 'round')}, {first['samples']:,} requests per phase and "
        "server in all; "
        f"it used at most {max(s['probe_cpu'] for s in runs) * 100:.0f} % of a core. The storm: "
        f"{first['clients']} clients in another process, each signing in again and again "
        "with the right password. Per-round p99 (rest / storm): "
        + "; ".join(
            f"{s['label']}: "
            + ", ".join(
                f"{a:.1f}/{b:.1f}"
                for a, b in zip(s["rounds_rest_p99_ms"], s["rounds_storm_p99_ms"], strict=True)
            )
            for s in runs
        )
        + " ms. The second server is the app with one setting changed "
        "(`APP_HASH_CONCURRENCY=1`: one hash at a time on this 2-core machine, leaving a "
        "core to the event loop), measured in the same rounds for comparison.",
    ]
    return lines


def _rotation(results: dict[str, Any]) -> list[str]:
    lines = [
        "| session rows | tier 3 p50 ms | tier 3 p99 ms | tier 1 p50 ms (same server) "
        "| requests | rows written in |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['rows']:,} | **{r['tier3_p50_ms']:.2f}** | {r['tier3_p99_ms']:.2f} | "
        f"{r['tier1_p50_ms']:.2f} | {r['samples']} | {r['fill_seconds']:.1f} s |"
        for r in results["rotation"]
    ]
    return lines


def _logins(results: dict[str, Any]) -> list[str]:
    a = results["argon2"]
    memory = ", ".join(
        f"{k} at once: {v:.1f} MiB each" for k, v in a["memory_mib_per_login"].items()
    )
    return [
        f"argon2id with the app's defaults (OWASP: m = {a['memory_kib'] // 1024} MiB, "
        f"t = {a['time_cost']}, p = {a['parallelism']}): one verification takes "
        f"**{a['verify_ms']:.0f} ms** of one core. Memory per concurrent login, the peak "
        f"resident memory of a fresh process running k verifications at once less its "
        f"memory before, over k: {memory}. The app runs at most `APP_HASH_CONCURRENCY` "
        "(default: the CPU count) at once, so a storm queues instead of growing memory: "
        f"through HTTP, {results['storm'][0]['clients']} clients signed in "
        f"**{results['storm'][0]['logins_per_second']:.1f} times a second** (above).",
    ]


def _micro(results: dict[str, Any]) -> list[str]:
    m = results["micro"]
    return [
        "| operation | µs |",
        "|---|---:|",
        f"| decrypt and check a token (`TokenCodec.decode`, a cache miss) | {m['decode_us']:.1f} |",
        f"| encrypt a token (`TokenCodec.encode`, tier 2 and 3) | {m['encode_us']:.1f} |",
        f"| the denylist lookup (`Denylist.is_revoked`, a dict lookup per process) "
        f"| {m['denylist_us']:.1f} |",
        f"| the guard's whole decision, tier 1 (`AuthService.authenticate`, cache hit) "
        f"| {m['authenticate_tier1_us']:.1f} |",
        f"| the guard's whole decision, tier 2 (renew) | {m['authenticate_tier2_us']:.1f} |",
    ]


def _share(results: dict[str, Any]) -> float:
    cores = int(results["machine"]["CPUs (nproc)"])
    return 100 * results["others_cpu_seconds"] / (results["elapsed_seconds"] * cores)


def render_report(results: dict[str, Any], *, chart: str) -> str:
    machine = [f"| {k} | {v} |" for k, v in results["machine"].items()]
    minutes = results["elapsed_seconds"] / 60
    parts = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {results['date']} at revision {results['revision']}; "
        f"the whole run took {minutes:.1f} minutes. Absolute numbers drift on a shared "
        "machine: the ratios, measured interleaved in one run, are the result. "
        f"Other processes on the machine used {results['others_cpu_seconds']:.0f} "
        f"CPU-seconds during the run ({_share(results):.0f} % of all its cores); load average "
        f"{results['load_before']:.1f} at the start, {results['load_after']:.1f} at the end.",
        "",
        "## Against the targets",
        "",
        *_targets(results),
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *machine,
        "",
        "## Method",
        "",
        *method_notes(results),
        "",
        "## Throughput",
        "",
        *_throughput(results, chart),
        "",
        "## SQL statements per request",
        "",
        *_statements(results),
        "",
        "## The fast path during a login storm",
        "",
        *_storm(results),
        "",
        "## Rotation latency and the size of the session table",
        "",
        *_rotation(results),
        "",
        "## Logins",
        "",
        *_logins(results),
        "",
        "## Where the auth time goes (in-process, no HTTP)",
        "",
        *_micro(results),
        "",
        "## Reproduce",
        "",
        "`make bench` (this report and `docs/bench.svg`, under 10 minutes; it installs "
        "Debian's `wrk` and PyJWT for the `JWTCookieAuth` peer when missing) or "
        "`make bench-quick` (a one-minute subset, written to `var/bench/`). Raw results "
        "of the last run: `var/bench/results-full.json` (`python -m bench --render "
        "var/bench/results-full.json` rewrites this page from it); server logs: "
        "`var/bench/full/*/server.log`.",
        "",
    ]
    return "\n".join(parts)
