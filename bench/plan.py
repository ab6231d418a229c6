"""How long and how hard: the full run and the one-minute subset."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Plan"]


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    rounds: int
    seconds: int  # per wrk run
    warmup: int
    connections: int
    probe_rate: float
    probe_seconds: float
    probe_rounds: int
    storm_clients: int
    sizes: tuple[int, ...]
    rotation_rounds: int
    rotation_per_round: int
    concurrency: tuple[int, ...]
    skip: tuple[str, ...] = ()  # throughput variants left out


FULL = Plan(
    name="full",
    rounds=7,
    seconds=3,
    warmup=2,
    connections=8,
    probe_rate=200,
    probe_seconds=5,
    probe_rounds=3,
    storm_clients=4,
    sizes=(1_000, 1_000_000),
    rotation_rounds=3,
    rotation_per_round=300,
    concurrency=(1, 2, 4),
)
QUICK = Plan(
    name="quick",
    rounds=5,
    seconds=1,
    warmup=1,
    connections=8,
    probe_rate=200,
    probe_seconds=2,
    probe_rounds=1,
    storm_clients=4,
    sizes=(1_000, 100_000),
    rotation_rounds=2,
    rotation_per_round=100,
    concurrency=(1, 2),
    skip=("passthrough", "tier3"),  # tier 3 is still timed in the rotation section
)
