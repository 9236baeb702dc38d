"""Published annual reports: the tables an agency put out, frozen, readable by the public.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("agency_name", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("subtree", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("tables", sa.Text(), nullable=False),
        sa.Column("monthly", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_reports")),
        sa.UniqueConstraint("agency_id", "year", "subtree", name=op.f("uq_published_reports_agency_id")),
    )
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_reports_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_published_reports_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("published_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_reports_year"))
        batch_op.drop_index(batch_op.f("ix_published_reports_agency_id"))
    op.drop_table("published_reports")
