"""What a database holds, every table and every row, as an auditor would search it."""

from __future__ import annotations

from sqlmodel import SQLModel

import app.db.models  # noqa: F401 - every table is known to the metadata
from tests.support.database import Database

__all__ = ["holding", "rows_of_user"]


def holding(db: Database, needle: str) -> list[tuple[str, tuple[object, ...]]]:
    """Every row, in any table, with ``needle`` in any column (case-insensitive)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for row in db.rows(f"SELECT * FROM {table.name}"):  # noqa: S608 - our own names
            if any(needle.casefold() in str(value).casefold() for value in row):
                found.append((table.name, row))
    return found


def rows_of_user(db: Database, user_id: int) -> list[tuple[str, tuple[object, ...]]]:
    """Every row that names this account by its id (``users.id`` or a ``user_id``)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        column = "id" if table.name == "users" else "user_id"
        if column not in table.columns:
            continue
        sql = f"SELECT * FROM {table.name} WHERE {column} = ?"  # noqa: S608
        found += [(table.name, row) for row in db.rows(sql, user_id)]
    return found
