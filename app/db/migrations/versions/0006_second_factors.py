"""Second factors: one table of the ways an account proves who it is besides its
password (the authenticator app, recovery codes, passkeys), each a row with its kind, the
slot it occupies (unique) and its data (JSON; secrets sealed or digested).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authenticators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.String(length=320), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_authenticators_user_id", "authenticators", ["user_id"])
    op.create_index("ix_authenticators_slot", "authenticators", ["slot"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_authenticators_slot", table_name="authenticators")
    op.drop_index("ix_authenticators_user_id", table_name="authenticators")
    op.drop_table("authenticators")
