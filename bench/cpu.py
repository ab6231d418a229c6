"""How much CPU the rest of the machine took while the benchmark ran.

The machine may be shared: what other processes used is reported next to the results
(machine-wide busy time from ``/proc/stat``, less this process and its children).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuMeter"]


def _busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _ours() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@dataclass
class CpuMeter:
    busy: float = 0.0
    ours: float = 0.0

    def start(self) -> CpuMeter:
        self.busy, self.ours = _busy_seconds(), _ours()
        return self

    def others(self) -> float:
        """CPU-seconds used since ``start`` by processes that are not this run's."""
        return max(0.0, (_busy_seconds() - self.busy) - (_ours() - self.ours))
