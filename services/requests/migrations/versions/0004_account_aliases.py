"""Merged accounts: a token of the merged account, valid a few minutes more, acts as the surviving one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_aliases",
        sa.Column("merged_id", sa.String(length=128), nullable=False),
        sa.Column("into_id", sa.String(length=128), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merged_id", name=op.f("pk_account_aliases")),
    )


def downgrade() -> None:
    op.drop_table("account_aliases")
