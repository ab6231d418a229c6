"""How a session was proved: ``auth_time`` and ``amr`` on the session row.

A session of an earlier release was started by a password sign-in when it was created
(``auth_time = created_at``, ``amr = "pwd"``). The app always writes both; the server
defaults only fill the rows that exist when the columns are added.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place, never by re-creating the table: SQLite would copy it through a new
    # table, and the server defaults let both databases fill the existing rows.
    with op.batch_alter_table("sessions", recreate="never") as batch:
        batch.add_column(
            sa.Column("auth_time", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("amr", sa.String(length=64), nullable=False, server_default="pwd")
        )
    op.execute("UPDATE sessions SET auth_time = created_at")


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("amr")
        batch.drop_column("auth_time")
