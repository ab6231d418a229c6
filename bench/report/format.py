"""What every part of the report writes the same way: signs, backend names, plurals."""

from __future__ import annotations

__all__ = ["DASH", "NAMES", "X", "count", "workers"]

X = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "postgres+redis": "PostgreSQL + Redis"}


def count(number: int, noun: str) -> str:
    """``1 round``, ``3 rounds``, ``1,000 sessions``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def workers(number: int) -> str:
    """``1 worker``, ``2 workers``."""
    return f"{number} worker{'s' if number > 1 else ''}"
