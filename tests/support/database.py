"""The app's database, read and edited behind its back, as an operator would: SQLite or
PostgreSQL alike. Placeholders are ``?`` for both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.config import Settings

__all__ = ["Database"]


@dataclass
class Database:
    url: str  # the app's (async) SQLAlchemy URL

    @classmethod
    def of(cls, settings: Settings) -> Database:
        return cls(settings.resolved_database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def path(self) -> Path:
        """The SQLite file."""
        database = make_url(self.url).database
        assert self.is_sqlite, self.url
        assert database, self.url
        return Path(database)

    def _engine(self) -> sa.Engine:
        url = make_url(self.url)
        driver = "sqlite" if self.is_sqlite else "postgresql+psycopg"
        return sa.create_engine(url.set(drivername=driver), poolclass=sa.NullPool)

    def _sql(self, sql: str) -> str:
        return sql if self.is_sqlite else sql.replace("%", "%%").replace("?", "%s")

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        engine = self._engine()
        try:
            with engine.connect() as connection:
                result = connection.exec_driver_sql(self._sql(sql), tuple(params))
                return [tuple(row) for row in result.all()]
        finally:
            engine.dispose()

    def execute(self, sql: str, *params: Any) -> int:
        """Run one statement and commit; the number of rows it changed."""
        engine = self._engine()
        try:
            with engine.begin() as connection:
                return int(connection.exec_driver_sql(self._sql(sql), tuple(params)).rowcount)
        finally:
            engine.dispose()

    def count(self, table: str) -> int:
        return int(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608

    def dicts(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        engine = self._engine()
        try:
            with engine.connect() as connection:
                result = connection.exec_driver_sql(self._sql(sql), tuple(params))
                return [dict(row._mapping) for row in result.all()]
        finally:
            engine.dispose()

    def dump(self) -> str:
        """Every row of every table as text, one line each: what a stolen backup holds."""
        engine = self._engine()
        try:
            with engine.connect() as connection:
                lines = []
                for table in sa.inspect(connection).get_table_names():
                    result = connection.exec_driver_sql(f'SELECT * FROM "{table}"')  # noqa: S608
                    lines += [f"{table}: {tuple(row)!r}" for row in result.all()]
                return "\n".join(lines)
        finally:
            engine.dispose()

    def session(self) -> dict[str, Any]:
        """The one session row."""
        found = self.dicts("SELECT * FROM sessions")
        assert len(found) == 1, found
        return found[0]
