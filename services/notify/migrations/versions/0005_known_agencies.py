"""Replica of the agency tree, for officers' subtree scope on the post list.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 02:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_agencies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("replicated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_agencies")),
    )
    with op.batch_alter_table("known_agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_known_agencies_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("known_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_agencies_parent_id"))
    op.drop_table("known_agencies")
