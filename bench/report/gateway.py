"""The report's forward-auth section (``results["gateway"]``, :mod:`bench.gateway`)."""

from __future__ import annotations

from typing import Any

from bench.report.format import DASH, X

__all__ = ["gateway"]


def gateway(results: dict[str, Any]) -> list[str]:
    g = results.get("gateway")
    if g is None:  # results saved before the section existed
        return ["Not measured in this run (`python -m bench --only gateway`)."]
    rows = [
        "| variant | req/s | ratio (range) | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {s['label']} | {s['rps']:,.0f} | {s['ratio']:.2f}{X} "
            f"({s['ratio_low']:.2f}{DASH}{s['ratio_high']:.2f}) | {s['p50_ms']:.1f} | "
            f"{s['p99_ms']:.1f} |"
            for s in g["summaries"]
        ),
    ]
    goal = g["goal"]
    p99 = "n/a" if goal["p99_factor"] is None else f"{goal['p99_factor']:.2f}{X}"
    verdict = (
        f"Goal: forward auth at ≥ 0.80{X} the unauthenticated proxy's throughput "
        f"({goal['ratio']:.2f}{X}: {'met' if goal['ratio_ok'] else 'missed'}) and p99 ≤ 2{X} "
        f"its p99 ({p99}: {'met' if goal['p99_ok'] else 'missed'})."
    )
    return [
        "One nginx worker in front of the bare Litestar page (standing for the protected "
        "app): no auth, `auth_request` to `/auth/verify` with a tier-1 token (the "
        "directives of `deploy/nginx-gateway.conf`), and `auth_basic` with an apr1 "
        "htpasswd entry. nginx, the app and the upstream share one core; wrk has the "
        "other. Measured interleaved, ratios within each round (`bench/gateway.py`).",
        "",
        *rows,
        "",
        verdict,
    ]
