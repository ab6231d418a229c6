"""Throughput and latency of every variant, measured interleaved: A B C ... then back.

One ``wrk`` run per variant per round (closed loop, N connections). Rounds alternate
forward and reverse order so no variant always follows the same one. A variant's ratio
is taken inside each round (its requests/s over the unguarded page's in that round) and
the median of those ratios is reported: drift on a shared machine cancels out.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.wrk import WrkResult, run_wrk

__all__ = ["Summary", "Variant", "interleave", "summarize"]


@dataclass
class Variant:
    key: str
    label: str
    url: str
    cookie: str
    # Tier 3: makes a file of n fresh tokens, one per request (each rotates its session).
    pool: Callable[[int], Path] | None = None
    token_cookie: str = ""
    runs: list[WrkResult] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Summary:
    key: str
    label: str
    rounds: int
    rps: float
    p50_ms: float
    p99_ms: float
    ratio: float
    ratio_low: float
    ratio_high: float
    bytes_per_response: float


def _run(variant: Variant, seconds: int, connections: int, expected_rps: float) -> WrkResult:
    tokens = None
    if variant.pool is not None:
        # Enough tokens for twice the rate seen so far: running out would void the run.
        tokens = variant.pool(int(expected_rps * (seconds + 1) * 2) + 200)
    result = run_wrk(
        variant.url,
        seconds=seconds,
        connections=connections,
        cookie=variant.cookie,
        tokens=tokens,
        token_cookie=variant.token_cookie,
    )
    if tokens is not None:
        tokens.unlink()
    if not result.clean:
        raise RuntimeError(f"{variant.key}: unclean run {result}")
    return result


def interleave(
    variants: list[Variant],
    *,
    rounds: int,
    seconds: int,
    warmup: int,
    connections: int,
    say: Callable[[str], None] = print,
) -> None:
    """Fill each variant's ``runs``; the first variant is the reference (the floor)."""
    expected = 0.0
    for variant in variants:  # warm-up: template compiled, caches filled, pools sized
        result = _run(variant, warmup, connections, expected or 10_000)
        expected = max(expected, result.rps)
        say(f"  warm-up {variant.key:<12} {result.rps:8.0f} req/s")
    for number in range(rounds):
        order = variants if number % 2 == 0 else variants[::-1]
        line = []
        for variant in order:
            seen = [r.rps for r in variant.runs] or [expected]
            result = _run(variant, seconds, connections, max(seen))
            variant.runs.append(result)
            line.append(f"{variant.key} {result.rps:.0f}")
        say(f"  round {number + 1}/{rounds}: " + ", ".join(line))


def summarize(variants: list[Variant]) -> list[Summary]:
    floor = variants[0].runs
    summaries = []
    for variant in variants:
        ratios = [run.rps / base.rps for run, base in zip(variant.runs, floor, strict=True)]
        summaries.append(
            Summary(
                key=variant.key,
                label=variant.label,
                rounds=len(variant.runs),
                rps=statistics.median(r.rps for r in variant.runs),
                p50_ms=statistics.median(r.p50_ms for r in variant.runs),
                p99_ms=statistics.median(r.p99_ms for r in variant.runs),
                ratio=statistics.median(ratios),
                ratio_low=min(ratios),
                ratio_high=max(ratios),
                bytes_per_response=statistics.median(r.bytes_per_response for r in variant.runs),
            )
        )
    return summaries
