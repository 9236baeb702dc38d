"""Initial requests schema: outbox, inbox, agency replica.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from shared.plumbing import create_plumbing_v1, drop_plumbing_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_plumbing_v1(op)
    op.create_table(
        "known_agencies",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("replicated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_known_agencies"),
    )
    op.create_index("ix_known_agencies_parent_id", "known_agencies", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_known_agencies_parent_id", table_name="known_agencies")
    op.drop_table("known_agencies")
    drop_plumbing_v1(op)
