"""Every SQL statement the app's engine runs: the proof that a path queries nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["StatementLog", "recording"]


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statements.clear()

    def touching(self, table: str) -> list[str]:
        pattern = re.compile(rf"\b{table}\b", re.IGNORECASE)
        return [s for s in self.statements if pattern.search(s)]


@contextmanager
def recording(engine: AsyncEngine) -> Iterator[StatementLog]:
    log = StatementLog()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        log.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
