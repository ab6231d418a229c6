"""``docs/benchmarks.md`` from the results of one run (also kept as JSON in ``var/bench/``)."""

from __future__ import annotations

import statistics
from typing import Any

from bench.method import WHAT, method_notes

__all__ = ["DASH", "TARGETS", "X", "render_report"]

X = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"
TARGETS = {"tier 1 target": 0.85, "tier 2 target": 0.70}  # against the bare page
PEERS = {
    "jwe": "the minimal JWE guard",
    "jwt": "Litestar `JWTCookieAuth`",
    "session": "Litestar `SessionAuth`",
}
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "postgres+redis": "PostgreSQL + Redis"}


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _per_round(results: dict[str, Any], key: str, other: str) -> float:
    runs = results["runs"]
    return statistics.median(
        a["rps"] / b["rps"] for a, b in zip(runs[key], runs[other], strict=True)
    )


def _throughput_targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    by_key = {s["key"]: s for s in results["throughput"]}
    bare, tier1, tier2 = by_key["bare"], by_key["tier1"], by_key["tier2"]
    pages = results["page_bytes"]
    size = pages["tier1"] / pages["bare"]
    p99 = tier1["p99_ms"] / bare["p99_ms"]
    rows: list[tuple[str, str, str, bool | None]] = [
        (
            "Page size: tier-1 `/dashboard` against the bare page (body bytes)",
            "within 5 %",
            f"{size:.3f}{X} ({pages['tier1']:,} vs {pages['bare']:,} B)",
            abs(size - 1) <= 0.05,
        ),
        (
            "Tier 1 (token, cached) against the bare Litestar page",
            f"≥ 0.85{X}",
            f"{tier1['ratio']:.3f}{X} ({tier1['ratio_low']:.2f}{DASH}{tier1['ratio_high']:.2f})",
            tier1["ratio"] >= 0.85,
        ),
        (
            "Tier 2 (renew) against the bare page",
            f"≥ 0.70{X}",
            f"{tier2['ratio']:.3f}{X} ({tier2['ratio_low']:.2f}{DASH}{tier2['ratio_high']:.2f})",
            tier2["ratio"] >= 0.70,
        ),
        (
            f"Tier-1 p99 against the bare page's, same load "
            f"({results['plan']['connections']} connections); max latency",
            f"≤ 2{X}",
            f"{p99:.2f}{X} ({tier1['p99_ms']:.2f} vs {bare['p99_ms']:.2f} ms; max "
            f"{tier1['max_ms']:.1f} vs {bare['max_ms']:.1f} ms)",
            p99 <= 2,
        ),
        (
            "Tier 1 against the app's own unguarded page (the guard's cost alone)",
            "reported",
            f"{tier1['ratio_floor']:.2f}{X}",
            None,
        ),
    ]
    for key, name in PEERS.items():
        if key in by_key:
            ahead = _per_round(results, "tier1", key)
            rows.append(
                (f"Tier 1 against {name} (same page and stack)", f"> 1{X}", f"{ahead:.2f}{X}",
                 ahead > 1)
            )  # fmt: skip
    return rows


def _load_targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    storm = results["storm"][0]
    flood = results["flood"][0]
    storm_factor = storm["load_p99_ms"] / storm["rest_p99_ms"]
    flood_factor = flood["load_p50_ms"] / flood["rest_p50_ms"]
    return [
        (
            f"Fast-path p99 in a {storm['clients']}-client login storm against at rest",
            f"≤ 3{X}",
            f"{storm_factor:.1f}{X} ({storm['load_p99_ms']:.2f} vs {storm['rest_p99_ms']:.2f} ms)",
            storm_factor <= 3,
        ),
        (
            f"Tier-1 p50 in a {flood['clients']}-client strength flood against at rest",
            f"≤ 2{X}",
            f"{flood_factor:.1f}{X} ({flood['load_p50_ms']:.2f} vs {flood['rest_p50_ms']:.2f} ms)",
            flood_factor <= 2,
        ),
    ]


def _backend_targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    rows: list[tuple[str, str, str, bool | None]] = []
    for b in results["backends"]:
        if b["backend"] == "sqlite":
            continue
        rows.append(
            (
                f"Tier 1 on {NAMES[b['backend']]} against SQLite, {b['workers']} worker"
                + ("s" if b["workers"] > 1 else ""),
                f"≥ 0.95{X}",
                f"{b['vs_sqlite']:.3f}{X} "
                f"({b['vs_sqlite_low']:.2f}{DASH}{b['vs_sqlite_high']:.2f})",
                b["vs_sqlite"] >= 0.95,
            )
        )
    for p in results["propagation"]:
        rows.append(
            (
                f"Revocation reaches both workers, {NAMES[p['backend']]} (p50 / p99 of "
                f"{p['revocations']})",
                "p99 ≤ 1 s",
                f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} ms",
                p["p99_ms"] <= 1000,
            )
        )
    for t in results["tier3_concurrent"]:
        rows.append(
            (
                f"Tier 3 p99 under {t['connections']} concurrent rotations, {NAMES[t['backend']]}",
                "≤ 50 ms",
                f"{t['p99_ms']:.1f} ms (worst round {t['p99_worst_ms']:.1f})",
                t["p99_ms"] <= 50,
            )
        )
    return rows


def _other_targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    statements = {s["name"]: s for s in results["statements"]}
    quiet = [s for name, s in statements.items() if name.startswith(("tier 1", "tier 2"))]
    tier3 = statements["tier 3 (rotate)"]
    rotation = results["rotation"]
    small, large = rotation[0], rotation[-1]
    growth = large["tier3_p50_ms"] / small["tier3_p50_ms"]
    return [
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
            f"Rotation p50 at {large['rows']:,} rows against {small['rows']:,} rows",
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


def target_rows(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    return (
        _throughput_targets(results)
        + _load_targets(results)
        + _backend_targets(results)
        + _other_targets(results)
    )


def _misses(results: dict[str, Any]) -> list[str]:
    """A sentence for each missed target: what the run itself says about why."""
    notes: list[str] = []
    by_key = {s["key"]: s for s in results["throughput"]}
    inprocess = {r["key"]: r for r in results["inprocess"]}
    tier1 = by_key["tier1"]
    if tier1["ratio"] < 0.85 and {"bare", "tier1"} <= inprocess.keys():
        cost = inprocess["tier1"]["p50_us"] / inprocess["bare"]["p50_us"]
        notes.append(
            f"- **Tier 1 against the bare page**: the rounds ranged from "
            f"{tier1['ratio_low']:.2f} to {tier1['ratio_high']:.2f}{X}, wider than the distance "
            f"to the goal. The same pages called in-process, one request at a time on a "
            f"pinned core, put tier 1 at {cost:.2f}{X} the bare page's p50 "
            f"({1 / cost:.2f}{X} its throughput), which is the figure without the network's "
            "noise."
        )
    slower = [b for b in results["backends"] if b["backend"] != "sqlite" and b["vs_sqlite"] < 0.95]
    if slower:
        spans = ", ".join(
            f"{NAMES[b['backend']]} {b['workers']}w {b['vs_sqlite_low']:.2f}{DASH}"
            f"{b['vs_sqlite_high']:.2f}{X}"
            for b in slower
        )
        notes.append(
            f"- **PostgreSQL (+ Redis) against SQLite**: per-round ratios {spans}. Tier 1 "
            "sends no statement and no Redis command on any backend (the statements table; "
            "`tests/integration/test_guard_tiers.py::test_tier_1_serves_from_the_token_alone`"
            " and `::test_with_redis_tiers_1_and_2_send_redis_nothing`); what differs per "
            "backend is beside the request path: the revocation catch-up every 250 ms, the "
            "`LISTEN` or pub/sub connection, and the database server's own processes, which "
            "are not pinned and share the two cores with the app and wrk."
        )
    small = results["rotation"][0]
    for t in results["tier3_concurrent"]:
        if t["p99_ms"] <= 50:
            continue
        floor = t["connections"] * small["tier3_p50_ms"]
        notes.append(
            f"- **Tier 3 under {t['connections']} rotations, {NAMES[t['backend']]}**: one "
            f"rotation alone takes {small['tier3_p50_ms']:.1f} ms here (p50, the rotation "
            f"table), and one worker serves them one after another, so {t['connections']} "
            f"at once queue for about {floor:.0f} ms; the p50 measured is "
            f"{t['p50_ms']:.0f} ms and the max {t['max_ms']:.0f} ms. The back-off stalls of "
            "the old SQLite busy handler (887 ms) are gone; below 50 ms takes a machine "
            f"where one rotation costs under {50 / t['connections']:.1f} ms."
        )
    if not notes:
        return []
    return ["", "**Reading the misses.**", "", *notes]


def _targets(results: dict[str, Any]) -> list[str]:
    lines = ["| target | goal | measured | |", "|---|---|---|---|"]
    lines += [
        f"| {what} | {goal} | {measured} | {'' if ok is None else _met(ok)} |"
        for what, goal, measured, ok in target_rows(results)
    ]
    return lines


def _throughput(results: dict[str, Any], chart: str) -> list[str]:
    pages = results["page_bytes"]
    lines = [
        f"| variant | what it is | req/s | {X} bare page (lowest{DASH}highest round) "
        f"| {X} unguarded | p50 ms | p99 ms | max ms | page bytes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results["throughput"]:
        floor = s["ratio_floor"]
        lines.append(
            f"| {s['label']} | {WHAT[s['key']]} | {s['rps']:,.0f} | **{s['ratio']:.2f}{X}** "
            f"({s['ratio_low']:.2f}{DASH}{s['ratio_high']:.2f}) "
            f"| {'' if floor is None else f'{floor:.2f}{X}'} "
            f"| {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['max_ms']:.1f} | {pages[s['key']]:,} |"
        )
    rss = ", ".join(f"{name} {mib:.0f} MiB" for name, mib in results["rss_mib"].items())
    lines += [
        "",
        "Every variant answered 200 to every request (wrk counted any other status, and a "
        "run with one would have stopped the benchmark). Page bytes: the body of one "
        "response, measured before the runs; wrk's bytes per response, headers included: "
        + ", ".join(f"{s['key']} {s['bytes_per_response']:,.0f}" for s in results["throughput"])
        + f". Servers' resident memory after the runs: {rss}.",
        "",
        f"![throughput relative to the bare Litestar page]({chart})",
    ]
    return lines


def _inprocess(results: dict[str, Any]) -> list[str]:
    rows = results["inprocess"]
    bare = next((r for r in rows if r["key"] == "bare"), None)
    lines = [
        f"| variant | p50 µs | {X} bare p50 | mean µs | p99 µs | p99.9 µs | max ms | page bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['p50_us'] / bare['p50_us']:.2f}{X}" if bare else ""
        lines.append(
            f"| {r['label']} | **{r['p50_us']:.1f}** | {ratio} | {r['mean_us']:.1f} "
            f"| **{r['p99_us']:.1f}** | {r['p999_us']:.1f} | {r['max_us'] / 1000:.2f} "
            f"| {r['bytes']:,} |"
        )
    lines += [
        "",
        f"{results['plan']['inprocess_requests']:,} requests per variant after a warm-up, "
        "each variant in a fresh process of its own pinned to one core, started as a "
        "server starts it (its lifespan: migrations, the denylist mirror, zxcvbn's warm-up, "
        "`gc.freeze` when `APP_GC_FREEZE` is on), the ASGI app called directly with a "
        "browser's cookies, one request at a time, the loop handed to background tasks "
        "between requests. `APP_GC_FREEZE=false` is the app with that one setting changed: "
        "the difference in its tail is what freezing start-up's objects buys (a full "
        "collection walks them all, and some request pays for it).",
    ]
    return lines


def _statements(results: dict[str, Any]) -> list[str]:
    lines = ["| request | statements | transactions | which |", "|---|---:|---:|---|"]
    lines += [
        f"| {s['name']} | {s['count']} | {s['transactions']} | {s['summary']} |"
        for s in results["statements"]
    ]
    return lines


def _rounds(s: dict[str, Any], rest: str, load: str) -> str:
    return ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(s[rest], s[load], strict=True))


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
            f"| {s['load_p50_ms']:.2f} / **{s['load_p99_ms']:.2f}** / {s['load_max_ms']:.1f} "
            f"| {s['load_p99_ms'] / s['rest_p99_ms']:.1f}{X} | {s['logins_per_second']:.1f} "
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
            f"{s['label']}: {_rounds(s, 'rounds_rest_p99_ms', 'rounds_load_p99_ms')}" for s in runs
        )
        + " ms."
        + (
            " The second server is the app with one setting changed "
            "(`APP_HASH_CONCURRENCY=1`), measured in the same rounds for comparison."
            if len(runs) > 1
            else ""
        )
        + " The servers are not pinned: argon2's threads and the event loop share both "
        "cores with the probe and the storm's clients.",
    ]
    return lines


def _flood(results: dict[str, Any]) -> list[str]:
    lines = [
        "| server | at rest p50 / p99 ms | in the flood p50 / p99 / max ms | p50 flood/rest "
        "| the flood's requests (status: count) |",
        "|---|---:|---:|---:|---|",
    ]
    for s in results["flood"]:
        statuses: dict[str, int] = {}
        for load in s["loads"]:
            for status, count in load["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        seconds = sum(load["seconds"] for load in s["loads"])
        mix = ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))
        lines.append(
            f"| {s['label']} | {s['rest_p50_ms']:.2f} / {s['rest_p99_ms']:.2f} "
            f"| **{s['load_p50_ms']:.2f}** / {s['load_p99_ms']:.2f} / {s['load_max_ms']:.1f} "
            f"| {s['load_p50_ms'] / s['rest_p50_ms']:.1f}{X} "
            f"| {sum(statuses.values()) / seconds:.0f}/s; {mix} |"
        )
    first = results["flood"][0]
    lines += [
        "",
        f"The same open-loop probe as above ({first['rate']:.0f} tier-1 requests/s, "
        f"{first['seconds']:.0f} s at rest then {first['seconds']:.0f} s in the flood, "
        f"{_count(first['rounds'], 'round')}). The flood: {first['clients']} clients in "
        "another process, each from an address of its own (127.0.0.2 onwards), one request "
        "at a time, alternating `POST /password-strength` and `POST /register` (an address "
        "already taken, so the whole strength check runs and no hash), with the l33t "
        "password `8453!67$<[{9|!@15<(+`, a 1,000-character l33t run and a 1,024-character "
        "one of all twenty l33t characters. `429` is the app's per-address limit on strength "
        "hints (60 a minute) doing its work. Per-round p50 (rest / flood): "
        + _rounds(first, "rounds_rest_p50_ms", "rounds_load_p50_ms")
        + " ms.",
    ]
    return lines


def _backends(results: dict[str, Any]) -> list[str]:
    lines = [
        f"| deployment | req/s | {X} SQLite, same workers (lowest{DASH}highest round) "
        f"| {X} 1 worker | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for b in results["backends"]:
        one = b["vs_one_worker"]
        lines.append(
            f"| {NAMES[b['backend']]}, {b['workers']} worker{'s' if b['workers'] > 1 else ''} "
            f"| {b['rps']:,.0f} | **{b['vs_sqlite']:.2f}{X}** "
            f"({b['vs_sqlite_low']:.2f}{DASH}{b['vs_sqlite_high']:.2f}) "
            f"| {'' if b['workers'] == 1 else f'{one:.2f}{X}'} "
            f"| {b['p50_ms']:.2f} | {b['p99_ms']:.2f} | {b['max_ms']:.1f} |"
        )
    servers = results["backend_servers"]
    lines += [
        "",
        "Tier 1 (`/dashboard`, a token inside its access window) on six deployments of "
        "the app, each with its own database, interleaved round by round: "
        f"{servers['postgres']}, {servers['redis']}, both private servers on this machine "
        "(`tests/support/servers.py`: no fsync). **What 2 cores allow:** with one worker, "
        "the server has a core to itself and wrk the other; with two workers, both workers "
        "and wrk share the two cores, so the second worker can only add what wrk leaves "
        'idle, and the "1 worker" column is a floor for what a second core buys, not a '
        "measurement of it. PostgreSQL and Redis themselves are idle during tier 1 but "
        "for each worker's revocation catch-up every 250 ms.",
        "",
        "**Tier 3 under concurrent rotations.** Every request carries the token of a "
        "different session due for rotation (one write transaction each), "
        f"{results['tier3_concurrent'][0]['connections']} connections at once, one worker:",
        "",
        "| backend | rotations/s | p50 ms | p99 ms (median of rounds) | p99 worst round | max ms "
        "| per-round p99 ms |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in results["tier3_concurrent"]:
        lines.append(
            f"| {NAMES[t['backend']]} | {t['rps']:,.0f} | {t['p50_ms']:.2f} | **{t['p99_ms']:.2f}**"
            f" | {t['p99_worst_ms']:.2f} | {t['max_ms']:.1f} "
            f"| {', '.join(f'{x:.1f}' for x in t['rounds_p99_ms'])} |"
        )
    lines += [
        "",
        "**Revocation propagation.** Two workers per backend; for each of "
        f"{_count(results['propagation'][0]['revocations'], 'session')}: the time from "
        "the `POST /logout` response to the last worker's first refusal of the session's "
        "token (each worker asked over its own new connection, in a tight loop).",
        "",
        "| backend | every worker refuses p50 / p99 / max ms | the worker that ended it, p50 "
        "| the other worker p50 / p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for p in results["propagation"]:
        lines.append(
            f"| {NAMES[p['backend']]} | **{p['p50_ms']:.1f}** / **{p['p99_ms']:.1f}** / "
            f"{p['max_ms']:.1f} | {p['own_p50_ms']:.2f} | {p['other_p50_ms']:.1f} / "
            f"{p['other_p99_ms']:.1f} |"
        )
    lines += [
        "",
        "The worker that served the logout refuses at once (its own commit updates its "
        "mirror). The other learns it by push (PostgreSQL `LISTEN/NOTIFY`, or Redis pub/sub) "
        "or, on SQLite, from its catch-up query every `APP_REVOCATION_POLL` (250 ms): there "
        "the figure is that poll's phase, uniform between 0 and 250 ms.",
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
        "(default: the CPU count less one, at least one) at once, so a storm queues instead "
        f"of growing memory: through HTTP, {results['storm'][0]['clients']} clients signed in "
        f"**{results['storm'][0]['logins_per_second']:.1f} times a second** (above).",
    ]


def _micro(results: dict[str, Any]) -> list[str]:
    m = results["micro"]
    return [
        "| operation | µs |",
        "|---|---:|",
        f"| decrypt and check a token (`TokenCodec.decode`, a cache miss) | {m['decode_us']:.1f} |",
        f"| encrypt a token (`TokenCodec.encode`, tier 2 and 3) | {m['encode_us']:.1f} |",
        f"| the denylist lookup (`Revocations.is_revoked`, the in-memory mirror) "
        f"| {m['denylist_us']:.2f} |",
        f"| the guard's whole decision, tier 1 (`Authenticator.authenticate`, cache hit) "
        f"| {m['authenticate_tier1_us']:.1f} |",
        f"| the guard's whole decision, tier 2 (renew: decide, re-encrypt) "
        f"| {m['authenticate_tier2_us']:.1f} |",
    ]


def _share(results: dict[str, Any]) -> float:
    cores = int(results["machine"]["CPUs (nproc)"])
    return 100 * results["others_cpu_seconds"] / (results["elapsed_seconds"] * cores)


def render_report(results: dict[str, Any], *, chart: str) -> str:
    machine = [f"| {k} | {v} |" for k, v in results["machine"].items()]
    minutes = results["elapsed_seconds"] / 60
    quick = results["plan"]["name"] == "quick"
    parts = [
        "# Benchmarks" + (" (quick subset: `make bench-quick`)" if quick else ""),
        "",
        f"Written by `make bench{'-quick' if quick else ''}` on {results['date']} at revision "
        f"{results['revision']}; the whole run took {minutes:.1f} minutes. Absolute numbers "
        "drift on a shared machine: the ratios, measured interleaved in one run, are the "
        f"result. Other processes on the machine used {results['others_cpu_seconds']:.0f} "
        f"CPU-seconds during the run ({_share(results):.0f} % of all its cores); load average "
        f"{results['load_before']:.1f} at the start, {results['load_after']:.1f} at the end.",
        "",
        "## Against the targets",
        "",
        *_targets(results),
        *_misses(results),
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
        "## Throughput: the page against a bare Litestar page and the peers",
        "",
        *_throughput(results, chart),
        "",
        "## Each page in-process (the ASGI app called directly)",
        "",
        *_inprocess(results),
        "",
        "## SQL statements per request",
        "",
        *_statements(results),
        "",
        "## The fast path during a login storm",
        "",
        *_storm(results),
        "",
        "## The fast path during a strength flood",
        "",
        *_flood(results),
        "",
        "## Backends and workers: SQLite, PostgreSQL, PostgreSQL + Redis",
        "",
        *_backends(results),
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
        "`make bench` (this report and `docs/bench.svg`, about 12 minutes on 2 cores; it "
        "installs the `bench` extra: PyJWT for the `JWTCookieAuth` peer, "
        "asyncpg, redis and psycopg; and Debian's `wrk` when missing; "
        "PostgreSQL and Redis must be installed, as `make services` checks) or "
        "`make bench-quick` (a short subset, written to `var/bench/`). Raw results of the "
        "last run: `var/bench/results-full.json` (`python -m bench --render "
        "var/bench/results-full.json` rewrites this page from it); server logs: "
        "`var/bench/full/*/server.log`.",
        "",
    ]
    return "\n".join(parts)
