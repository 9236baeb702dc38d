"""Document facts for table 二 (proactive disclosure) of the annual report.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:00:42.420016
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_facts",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("published_on_time", sa.Boolean(), nullable=True),
        sa.Column("decision_count", sa.Integer(), nullable=False),
        sa.Column("fee_amount_yuan", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("ended", sa.String(length=20), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_facts")),
    )
    with op.batch_alter_table("document_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_facts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_facts_made_on"), ["made_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_facts_made_on"))
        batch_op.drop_index(batch_op.f("ix_document_facts_agency_id"))

    op.drop_table("document_facts")
