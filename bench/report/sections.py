"""The report's sections on the page itself: throughput against the bare page and the
peers, each page in-process, SQL statements per tier, rotation against table size, the
cost of a login, and where the auth time goes (each a Markdown table and its notes)."""

from __future__ import annotations

from typing import Any

from bench.report.format import DASH, NAMES, X
from bench.report.method import WHAT

__all__ = [
    "inprocess",
    "logins",
    "micro",
    "profile",
    "rotation",
    "scale",
    "statements",
    "throughput",
]

# The stacks people pick instead (bench/stacks/), each from the bench venv under the same
# uvicorn flags, on its own SQLite file, signed in through its own login form.
STACK_WHAT = {
    "django": "bench-only app (`bench/stacks/django_allauth/`): Django + django-allauth, "
    "database-backed sessions, Django's default middleware, a sync `@login_required` view "
    "(run in a thread under ASGI), the page rendered with Jinja",
    "fastapi-jwt": "bench-only app (`bench/stacks/fastapi_users/`): FastAPI + fastapi-users, "
    "`CookieTransport` + `JWTStrategy` (HS256), SQLAlchemy + aiosqlite, the page rendered "
    "with Jinja",
    "fastapi-db": "the same FastAPI app with `CookieTransport` + `DatabaseStrategy` (a "
    "random token looked up in the `accesstoken` table)",
}
# What each does per request besides the SQL (counted by its own set-up, in the results).
STACK_WORK = {
    "django": "opens the SQLite file (no persistent connection: Django's advice under "
    "ASGI), reads the session row by its key and checks its signed data (HMAC-SHA256), "
    "reads the user row, and compares the session's auth hash (an HMAC of the password "
    "hash); `csrf_token()` masks the CSRF cookie's secret and Django sets that cookie "
    "again on every response (that token is 64 characters, Litestar's 128: three on the "
    "page make it 192 bytes shorter); nothing is decrypted",
    "fastapi-jwt": "verifies the cookie's JWT (HMAC-SHA256) and decodes it, then reads the "
    "user row by id; nothing is decrypted",
    "fastapi-db": "reads the access-token row by the cookie's value (and its age), then the "
    "user row by id; nothing verified or decrypted",
}


def _stack_notes(results: dict[str, Any]) -> list[str]:
    queries = results.get("stack_queries", {})
    notes = []
    for key, work in STACK_WORK.items():
        if key not in queries:
            continue
        statements = queries[key]
        tables = ", ".join(f"`{_table(sql)}`" for sql in statements)
        notes.append(
            f"- **{key}**: {len(statements)} SQL "
            f"{'statement' if len(statements) == 1 else 'statements'} per signed-in request "
            f"({tables}); it {work}."
        )
    if not notes:
        return []
    return [
        "",
        "The stacks people pick instead, per request (tier 1 of this app: no statement, one "
        "cached token lookup; see the statements section):",
        "",
        *notes,
    ]


def _table(sql: str) -> str:
    words = sql.replace('"', "").split()
    return words[words.index("FROM") + 1] if "FROM" in words else "?"


def throughput(results: dict[str, Any], chart: str) -> list[str]:
    pages = results["page_bytes"]
    what = {**WHAT, **STACK_WHAT}
    lines = [
        f"| variant | what it is | req/s | {X} bare page (lowest{DASH}highest round) "
        f"| {X} unguarded | p50 ms | p99 ms | max ms | page bytes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in results["throughput"]:
        floor = s["ratio_floor"]
        lines.append(
            f"| {s['label']} | {what[s['key']]} | {s['rps']:,.0f} | **{s['ratio']:.2f}{X}** "
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
        *_stack_notes(results),
        "",
        f"![throughput relative to the bare Litestar page]({chart})",
    ]
    return lines


def inprocess(results: dict[str, Any]) -> list[str]:
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


def statements(results: dict[str, Any]) -> list[str]:
    lines = ["| request | statements | transactions | which |", "|---|---:|---:|---|"]
    lines += [
        f"| {s['name']} | {s['count']} | {s['transactions']} | {s['summary']} |"
        for s in results["statements"]
    ]
    return lines


def rotation(results: dict[str, Any]) -> list[str]:
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


def scale(results: dict[str, Any]) -> list[str]:
    """Live revocations per worker, and rotation at 10^7 session rows (``bench/scale.py``)."""
    s = results.get("scale")
    if s is None:  # results saved before the section existed
        return ["Not measured in this run (`python -m bench --only scale`)."]
    lines = [
        "| backend | live revocations | VmRSS after start-up MiB | the mirror's share MiB "
        f"| start-up to a current mirror s | tier 1 req/s | {X} the fewest (lowest round) "
        "| tier 1 p99 ms | rows written in |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {NAMES[r['backend']]} | {r['revocations']:,} | {r['rss_mib']:.0f} "
        f"| {r['mirror_mib']:+.0f} | {r['startup_s']:.2f} | {r['rps']:,.0f} "
        f"| **{r['vs_smallest']:.2f}{X}** ({r['vs_smallest_low']:.2f}) | {r['p99_ms']:.2f} "
        f"| {r['fill_seconds']:.1f} s |"
        for r in s["revocations"]
    ]
    rounds = s["revocations"][0]["rounds"]
    lines += [
        "",
        "One worker of the app per row (pinned like the others), its `revocations` table "
        "filled before it starts with rows still live (their ends spread over one token "
        "lifetime, ids in the app's format), started alone: start-up is from launch to its "
        "first `/healthz` answer (the lifespan loads the whole mirror before the server "
        "answers, so it is current then; the rest is imports, migrations check and "
        "zxcvbn's warm-up, the same in every row), `VmRSS` half a second later, the "
        "mirror's share that less the row with the fewest. Tier 1: `wrk` on `/dashboard`, "
        f"{rounds} rounds with the sizes of a backend interleaved, every other worker "
        "stopped (`SIGSTOP`) meanwhile, the ratio taken within each round.",
        "",
        "| PostgreSQL, session rows | tier 3 p50 ms | tier 3 p99 ms | tier 1 p50 ms "
        "| requests | rows written in |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['rows']:,} | **{r['tier3_p50_ms']:.2f}** | {r['tier3_p99_ms']:.2f} "
        f"| {r['tier1_p50_ms']:.2f} | {r['samples']} | {r['fill_seconds']:.1f} s |"
        for r in s["rotation"]
    ]
    lines += [
        "",
        "Rotation measured as on SQLite above (tier-3 requests one at a time, each a "
        "different session, the sizes interleaved), on PostgreSQL; the rows written by one "
        "`INSERT ... SELECT FROM generate_series` with the table's indexes dropped and "
        "rebuilt after (the time includes the rebuild and `VACUUM ANALYZE`).",
    ]
    return lines


def profile(results: dict[str, Any]) -> list[str]:
    """The tier-3 request by stage (``bench/profile.py``), now and at the recorded baseline."""
    if "profile" not in results:  # results saved before the section existed
        return ["Not measured in this run (`python -m bench --only profile`)."]
    now, before = results["profile"]["current"], results["profile"]["baseline"]
    stages = {s["stage"]: s for s in now["stages"]}
    old = {s["stage"]: s for s in before["stages"]} if before else {}
    head = "| stage | ms per request | share |"
    rule = "|---|---:|---:|"
    if before:
        head += f" before ({before['revision']}) ms | share |"
        rule += "---:|---:|"
    lines = [head, rule]
    for name, stage in stages.items():
        row = f"| {name} | {stage['ms']:.2f} | {stage['share'] * 100:.0f} % |"
        if before:
            was = old.get(name)
            row += f" {was['ms']:.2f} | {was['share'] * 100:.0f} % |" if was else " - | - |"
        lines.append(row)
    total = f"| **the whole request** (mean; p50, p99) | **{now['mean_ms']:.2f}** "
    total += f"({now['p50_ms']:.2f}, {now['p99_ms']:.2f}) | 100 % |"
    if before:
        total += f" {before['mean_ms']:.2f} ({before['p50_ms']:.2f}, {before['p99_ms']:.2f}) | "
        total += "100 % |"
    lines.append(total)
    counts = (
        ("CPU ms per request (all threads)", "cpu_ms", "{:.2f}"),
        ("aiosqlite calls (thread hand-offs) per request", "db_calls", "{:.1f}"),
        ("event-loop turns per request", "loop_turns", "{:.1f}"),
    )
    for label, key, shape in counts:
        row = f"| {label} | {shape.format(now[key])} | |"
        if before:
            row += f" {shape.format(before[key])} | |" if key in before else " - | |"
        lines.append(row)
    lines += [
        "",
        f"{now['requests']:,} tier-3 `GET /dashboard` (each rotating its own session, SQLite) "
        "with the ASGI app called directly in one process: timed without the profiler (the ms), "
        "then as many again under cProfile on the event loop's thread and the aiosqlite "
        "threads (the shares). Each function's own time goes to a stage by its module "
        "(`STAGES` in `bench/profile.py`: sqlalchemy, sqlmodel, aiosqlite, sqlite3, greenlet "
        "-> queries; `app/db/database.py`, queues, the loop's self-pipe, `commit` -> "
        "transaction; hashlib, hmac -> hashing; joserfc, cryptography -> token; jinja2, "
        "markupsafe, the templates -> template; everything else, asyncio's loop included -> "
        "guard/framework); the activity row is `record_event`'s inclusive time, and the "
        "event loop's wait for the aiosqlite thread is that thread's SQLite calls (queries, "
        "commit) and the hand-off (transaction). The profiler slows Python more than C: "
        "read the shares as an order, not to the percent. CPU time and the counts (the "
        "profiled run's; the background loops' few calls included) move least when other "
        "processes load the machine.",
    ]
    if before and before.get("source") == "this run":
        lines += [
            "",
            f"Before: the app at revision {before['revision']} (the code before the cuts: its "
            "`app/`, `templates/` and `static/` from git, driven by this run's `bench/`), "
            "measured in this run right after the current code, the same way.",
        ]
    elif before:
        lines += [
            "",
            f"Before: recorded at revision {before['revision']} on {before['date']} "
            "(`bench/profile_baseline.json`; git could not give that revision here), on the "
            "machine that wrote it: compare the shares, CPU time and counts, and the ms only "
            "when both come from the same machine.",
        ]
    return lines


def logins(results: dict[str, Any]) -> list[str]:
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
        "",
        *_signins(results),
    ]


def _signins(results: dict[str, Any]) -> list[str]:
    s = results.get("signins")
    if s is None:  # results saved before the second step existed
        return []
    return [
        "A sign-in with the authenticator app on (`POST /login`, then `POST /login/two-factor` "
        "with a code of the next time step) against one with the password alone, the app "
        f"called in-process, {s['rounds']} of each interleaved (`bench/signins.py`): "
        f"**{s['two_step_ms']:.0f} ms** against **{s['password_ms']:.0f} ms**, "
        f"{s['ratio']:.2f}{X} (median each). The second step adds one sealed cookie opened, "
        "two throttle counts, the secret unsealed and an HMAC: no second argon2.",
    ]


def micro(results: dict[str, Any]) -> list[str]:
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
        *(
            [
                f"| SQLite's revocation push, the writer: one other worker "
                f"| {m['local_push_1_us']:.1f} |",
                f"| SQLite's revocation push, the writer: three other workers "
                f"| {m['local_push_3_us']:.1f} |",
                f"| SQLite's revocation push, each other worker: take one in "
                f"| {m['local_receive_us']:.1f} |",
            ]
            if "local_push_1_us" in m
            else []
        ),
    ]
