"""Initial audit schema: outbox, inbox, chained audit log.

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

_INDEXED = ("event_id", "event_type", "aggregate_id", "agency_id", "occurred_at")


def upgrade() -> None:
    create_plumbing_v1(op)
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("aggregate_type", sa.String(60), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(36), nullable=True),
        sa.Column("actor_sub", sa.String(128), nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=True),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entries"),
    )
    for column in _INDEXED:
        op.create_index(f"ix_audit_entries_{column}", "audit_entries", [column])


def downgrade() -> None:
    for column in _INDEXED:
        op.drop_index(f"ix_audit_entries_{column}", table_name="audit_entries")
    op.drop_table("audit_entries")
    drop_plumbing_v1(op)
