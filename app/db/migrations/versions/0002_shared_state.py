"""State every process shares: revocations (the denylist's source of truth), throttle
attempts and the deployment's test clock.

Sessions revoked by the first release (its activity log) stay revoked: their
revocations are copied over, each kept for the longest a token can live (30 days).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_REVOKING = ("signed_out", "reuse_detected", "session_revoked")
_LONGEST_TOKEN = 30 * 86400


def upgrade() -> None:
    op.create_table(
        "revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_public_id", sa.String(length=43), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=False),
        sa.Column("until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_revocations_until", "revocations", ["until"])
    op.create_table(
        "throttle_buckets",
        sa.Column("key", sa.String(length=320), nullable=False),
        sa.Column("hits", sa.Text(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_throttle_buckets_last_at", "throttle_buckets", ["last_at"])
    op.create_table(
        "test_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("now", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    events = sa.table(
        "auth_events",
        sa.column("id", sa.Integer()),
        sa.column("session_public_id", sa.String()),
        sa.column("created_at", sa.BigInteger()),
        sa.column("kind", sa.String()),
    )
    revocations = sa.table(
        "revocations",
        sa.column("session_public_id", sa.String()),
        sa.column("revoked_at", sa.BigInteger()),
        sa.column("until", sa.BigInteger()),
    )
    revoked = (
        sa.select(
            events.c.session_public_id,
            events.c.created_at,
            events.c.created_at + _LONGEST_TOKEN,
        )
        .where(events.c.kind.in_(_REVOKING), events.c.session_public_id.is_not(None))
        .order_by(events.c.id)
    )
    op.execute(
        revocations.insert().from_select(["session_public_id", "revoked_at", "until"], revoked)
    )


def downgrade() -> None:
    op.drop_table("test_clock")
    op.drop_table("throttle_buckets")
    op.drop_table("revocations")
