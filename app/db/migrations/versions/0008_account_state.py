"""The account's own state and its new-device alerts: ``disabled_at`` and
``disabled_reason`` on ``users`` (an operator's ``users disable``), and ``not_me_links``
(what the "not me" link of a new-device alert is about).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns, added in place (SQLite would otherwise copy the table).
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("disabled_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("disabled_reason", sa.String(length=255), nullable=True))
    op.create_table(
        "not_me_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_public_id", sa.String(length=43), nullable=False),
        sa.Column("signed_in_at", sa.BigInteger(), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["token_hash"], ["email_tokens.token_hash"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("not_me_links")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_reason")
        batch.drop_column("disabled_at")
