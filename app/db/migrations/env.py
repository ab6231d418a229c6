"""Alembic's environment: always given a connection by ``app.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from app.db import models  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with 'python -m app db upgrade'")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
