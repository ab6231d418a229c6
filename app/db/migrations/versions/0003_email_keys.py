"""One account per address however it is typed: ``users.email_key`` (NFKC, case-folded)
is what is unique; ``email`` is what is shown.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_key", sa.String(length=254), nullable=True))
    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("email", sa.String()),
        sa.column("email_key", sa.String()),
    )
    connection = op.get_bind()
    for user_id, email in connection.execute(sa.select(users.c.id, users.c.email)).all():
        key = unicodedata.normalize("NFKC", email).casefold()
        connection.execute(users.update().where(users.c.id == user_id).values(email_key=key))
    op.drop_index("ix_users_email", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_key", existing_type=sa.String(length=254), nullable=False)
    op.create_index("ix_users_email_key", "users", ["email_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_users_email_key", table_name="users")
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_key")
