"""Initial catalog schema: outbox, inbox, agencies.

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
        "agencies",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
        sa.ForeignKeyConstraint(["parent_id"], ["agencies.id"], name="fk_agencies_parent_id_agencies"),
        sa.UniqueConstraint("name", name="uq_agencies_name"),
        sa.UniqueConstraint("credit_code", name="uq_agencies_credit_code"),
    )
    op.create_index("ix_agencies_parent_id", "agencies", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_agencies_parent_id", table_name="agencies")
    op.drop_table("agencies")
    drop_plumbing_v1(op)
