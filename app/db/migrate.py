"""The schema, by Alembic migrations: brought to head at start-up (under a lock, so N
workers never race) or by ``python -m app db upgrade``; checked when auto-migration is off.

A database made by a release before migrations existed (its tables, no
``alembic_version``) is recognised and stamped as the first revision, then upgraded.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.locks import exclusive

__all__ = ["SchemaNotCurrentError", "alembic_config", "current_revision", "head", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"
UPGRADE_COMMAND = "python -m app db upgrade"


class SchemaNotCurrentError(RuntimeError):
    """The database is not at the schema this code needs, and may not be migrated now."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the migrations ship with the code
        raise RuntimeError("no migrations found")
    return revision


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> tuple[str | None, str]:
    before = _current(connection)
    config = alembic_config(connection)
    if before is None and inspect(connection).has_table("users"):
        command.stamp(config, FIRST_REVISION)  # made by create_all, before migrations
        before = FIRST_REVISION
    command.upgrade(config, "head")
    return before, head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(engine: AsyncEngine) -> tuple[str | None, str]:
    """Bring the database to head; (revision before, revision after). One process at a
    time: the others wait, then find nothing to do."""
    async with exclusive(engine, "migrations") as (_, locked):
        if locked is not None:  # PostgreSQL: migrate on the connection that holds the lock
            revisions = await locked.run_sync(_upgrade)
            await locked.commit()
            return revisions
        async with engine.connect() as connection:
            if connection.dialect.name != "sqlite":
                async with connection.begin():
                    return await connection.run_sync(_upgrade)
            # SQLite alters a table by copying it into a new one and dropping the old; with
            # foreign keys on, dropping ``users`` would cascade and delete every session
            # and link (Alembic's batch mode documents it). Off for the migration only:
            # the pragma is ignored inside a transaction, so it is set before BEGIN.
            raw = (await connection.get_raw_connection()).driver_connection
            if raw is None:  # pragma: no cover - a live connection has its driver's
                raise RuntimeError("no SQLite connection")
            await raw.execute("PRAGMA foreign_keys=OFF")
            try:
                async with connection.begin():
                    return await connection.run_sync(_upgrade)
            finally:
                await raw.execute("PRAGMA foreign_keys=ON")


async def ensure_current(engine: AsyncEngine, *, auto_migrate: bool) -> None:
    """At start-up: migrate (``auto_migrate``), or refuse a database that is not at head."""
    current = await current_revision(engine)
    if current == head():
        return
    if auto_migrate:
        await upgrade(engine)
        return
    if current != head():
        raise SchemaNotCurrentError(
            f"the database schema is at {current or 'nothing'}, this release needs {head()}: "
            f"run '{UPGRADE_COMMAND}' (or set APP_AUTO_MIGRATE=true)"
        )
