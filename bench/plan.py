"""How long and how hard: the full run (~22 minutes on 2 cores) and the quick subset (~5)."""

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
    flood_clients: int
    backend_rounds: int  # tier 1 on each backend, 1 and 2 workers
    revocations: int  # per backend, for the propagation figure
    tier3_rounds: int  # tier 3 under concurrent rotations, per backend
    tier3_connections: int
    sizes: tuple[int, ...]
    rotation_rounds: int
    rotation_per_round: int
    concurrency: tuple[int, ...]
    skip: tuple[str, ...] = ()  # throughput variants left out
    one_hasher: bool = True  # the storm also on a server with APP_HASH_CONCURRENCY=1
    inprocess_requests: int = 10_000  # per variant, the ASGI app called directly
    signin_rounds: int = 15  # sign-ins with the password alone and with a second step, each
    scale_revocations: tuple[int, ...] = (1_000, 100_000, 1_000_000)  # live, per worker
    scale_rows: tuple[int, ...] = (1_000, 10_000_000)  # session rows, rotation on PostgreSQL
    scale_rounds: int = 5  # tier 1 with each number of revocations, interleaved
    profile_requests: int = 1000  # tier-3 requests timed, then as many under cProfile
    inprocess_kinds: tuple[str, ...] = (
        "bare",
        "floor",
        "tier1",
        "tier1-nofreeze",
        "tier2",
        "jwe",
        "jwt",
        "session",
    )


FULL = Plan(
    name="full",
    rounds=7,
    seconds=3,
    warmup=2,
    connections=16,
    probe_rate=200,
    probe_seconds=5,
    probe_rounds=3,
    storm_clients=4,
    flood_clients=16,
    backend_rounds=5,
    revocations=100,
    tier3_rounds=3,
    tier3_connections=8,
    sizes=(1_000, 1_000_000),
    rotation_rounds=3,
    rotation_per_round=300,
    concurrency=(1, 2, 4),
    scale_revocations=(1_000, 100_000, 1_000_000),
    scale_rows=(1_000, 10_000_000),
    scale_rounds=5,
)
QUICK = Plan(
    name="quick",
    rounds=3,
    seconds=1,
    warmup=1,
    connections=16,
    probe_rate=200,
    probe_seconds=2,
    probe_rounds=1,
    storm_clients=4,
    flood_clients=16,
    backend_rounds=3,
    revocations=20,
    tier3_rounds=2,
    tier3_connections=8,
    sizes=(1_000, 100_000),
    rotation_rounds=2,
    rotation_per_round=100,
    concurrency=(1, 2),
    skip=("passthrough", "guarded"),
    one_hasher=False,
    inprocess_requests=3000,
    inprocess_kinds=("bare", "tier1", "jwe"),
    signin_rounds=5,
    scale_revocations=(1_000, 10_000),
    scale_rows=(1_000, 100_000),
    scale_rounds=2,
    profile_requests=300,
)
