"""Initial notify schema: outbox, inbox, site inbox messages.

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
        "inbox_messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("recipient_sub", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source_event_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_messages"),
    )
    op.create_index("ix_inbox_messages_recipient_sub", "inbox_messages", ["recipient_sub"])


def downgrade() -> None:
    op.drop_index("ix_inbox_messages_recipient_sub", table_name="inbox_messages")
    op.drop_table("inbox_messages")
    drop_plumbing_v1(op)
