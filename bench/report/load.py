"""The report's sections on servers under load and on other deployments: the fast path
during a login storm and during a strength flood, and tier 1, tier 3 and revocation on
SQLite, PostgreSQL and PostgreSQL + Redis with 1 and 2 workers."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.report.format import DASH, NAMES, X, count, workers

__all__ = ["backends", "flood", "storm"]


def _rounds(s: dict[str, Any], rest: str, load: str) -> str:
    return ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(s[rest], s[load], strict=True))


def storm(results: dict[str, Any]) -> list[str]:
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
        f"{count(first['rounds'], 'round')}, {first['samples']:,} requests per phase and "
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


def flood(results: dict[str, Any]) -> list[str]:
    lines = [
        "| server | at rest p50 / p99 ms | in the flood p50 / p99 / max ms | p50 flood/rest "
        "| the flood's requests (status: count) |",
        "|---|---:|---:|---:|---|",
    ]
    for s in results["flood"]:
        statuses: Counter[str] = Counter()
        for load in s["loads"]:
            statuses.update(load["statuses"])
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
        f"{count(first['rounds'], 'round')}). The flood: {first['clients']} clients in "
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


def backends(results: dict[str, Any]) -> list[str]:
    lines = [
        f"| deployment | req/s | {X} SQLite, same workers (lowest{DASH}highest round) "
        f"| {X} 1 worker | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for b in results["backends"]:
        one = b["vs_one_worker"]
        lines.append(
            f"| {NAMES[b['backend']]}, {workers(b['workers'])} "
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
        "(`bench/services.py`: no fsync). **What 2 cores allow:** with one worker, "
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
        f"{count(results['propagation'][0]['revocations'], 'session')}: the time from "
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
        "mirror). The other learns it by push: PostgreSQL `LISTEN/NOTIFY`, Redis pub/sub, or "
        "on SQLite (one host) a datagram to each worker's local socket, sent after the "
        'commit (its cost per revocation, on each side: "Where the auth time goes"). The '
        "catch-up query every `APP_REVOCATION_POLL` (250 ms) remains for a lost push.",
    ]
    return lines
