"""Throughput and latency of every variant, measured interleaved: A B C ... then back.

One ``wrk`` run per variant per round (closed loop, N connections). Rounds alternate
forward and reverse order so no variant always follows the same one. A variant's ratio
is taken inside each round (its requests/s over the reference's in that round) and the
median of those ratios is reported: drift on a shared machine cancels out. The first
variant is the reference; :func:`ratios` compares any two.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.wrk import WrkResult, run_wrk

__all__ = ["Summary", "Variant", "interleave", "ratios", "summarize"]


@dataclass
class Variant:
    key: str
    label: str
    url: str
    cookie: str
    # Tier 3: makes a file of n fresh tokens, one per request (each rotates its session).
    pool: Callable[[int], Path] | None = None
    token_cookie: str = ""
    authorization: str = ""  # an Authorization header on every request (auth_basic)
    runs: list[WrkResult] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Summary:
    key: str
    label: str
    rounds: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float  # the highest of the rounds' maxima
    ratio: float
    ratio_low: float
    ratio_high: float
    bytes_per_response: float
    reference: str = ""  # the key of the variant the ratio is taken against
    ratio_floor: float | None = None  # against the app's own unguarded page, if measured


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
        authorization=variant.authorization,
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
    expected: float = 0.0,
) -> None:
    """Fill each variant's ``runs``; the first variant is the reference. ``expected``:
    requests/s to size the first token pool for (tier 3)."""
    warm: dict[str, float] = {}
    for variant in variants:  # warm-up: template compiled, caches filled, pools sized
        result = _run(variant, warmup, connections, expected or 10_000)
        warm[variant.key] = result.rps
        say(f"  warm-up {variant.key:<12} {result.rps:8.0f} req/s")
    for number in range(rounds):
        order = variants if number % 2 == 0 else variants[::-1]
        line = []
        for variant in order:
            seen = [r.rps for r in variant.runs] or [warm[variant.key]]
            result = _run(variant, seconds, connections, max(seen))
            variant.runs.append(result)
            line.append(f"{variant.key} {result.rps:.0f}")
        say(f"  round {number + 1}/{rounds}: " + ", ".join(line))


def ratios(variant: Variant, reference: Variant) -> list[float]:
    """Requests/s of ``variant`` over ``reference``'s, round by round."""
    return [run.rps / base.rps for run, base in zip(variant.runs, reference.runs, strict=True)]


def summarize(variants: list[Variant], *, floor: str | None = None) -> list[Summary]:
    """Against the first variant; ``floor``: the key of a second reference as well."""
    reference = variants[0]
    second = next((v for v in variants if v.key == floor), None)
    summaries = []
    for variant in variants:
        within = ratios(variant, reference)
        summaries.append(
            Summary(
                key=variant.key,
                label=variant.label,
                rounds=len(variant.runs),
                rps=statistics.median(r.rps for r in variant.runs),
                p50_ms=statistics.median(r.p50_ms for r in variant.runs),
                p99_ms=statistics.median(r.p99_ms for r in variant.runs),
                max_ms=max(r.max_ms for r in variant.runs),
                ratio=statistics.median(within),
                ratio_low=min(within),
                ratio_high=max(within),
                bytes_per_response=statistics.median(r.bytes_per_response for r in variant.runs),
                reference=reference.key,
                ratio_floor=statistics.median(ratios(variant, second)) if second else None,
            )
        )
    return summaries
