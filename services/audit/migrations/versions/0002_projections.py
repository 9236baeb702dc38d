"""Projections for statistics and the annual report: agency replica, request and remedy facts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:53:59.474048
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_agencies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_agencies")),
    )
    with op.batch_alter_table("known_agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_known_agencies_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "remedy_facts",
        sa.Column("remedy_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("remedy_id", name=op.f("pk_remedy_facts")),
    )
    with op.batch_alter_table("remedy_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remedy_facts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_remedy_facts_filed_on"), ["filed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_remedy_facts_request_id"), ["request_id"], unique=False)

    op.create_table(
        "request_facts",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.Column("applicant_type", sa.String(length=30), nullable=False),
        sa.Column("organisation_type", sa.String(length=30), nullable=True),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("assignee_sub", sa.String(length=128), nullable=True),
        sa.Column("outcome_category", sa.String(length=30), nullable=True),
        sa.Column("outcome_reason", sa.String(length=40), nullable=True),
        sa.Column("finished_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("working_days_taken", sa.Integer(), nullable=True),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("correction_requested", sa.Boolean(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_request_facts")),
    )
    with op.batch_alter_table("request_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_facts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_facts_finished_on"), ["finished_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_facts_received_on"), ["received_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_facts_received_on"))
        batch_op.drop_index(batch_op.f("ix_request_facts_finished_on"))
        batch_op.drop_index(batch_op.f("ix_request_facts_agency_id"))

    op.drop_table("request_facts")
    with op.batch_alter_table("remedy_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remedy_facts_request_id"))
        batch_op.drop_index(batch_op.f("ix_remedy_facts_filed_on"))
        batch_op.drop_index(batch_op.f("ix_remedy_facts_agency_id"))

    op.drop_table("remedy_facts")
    with op.batch_alter_table("known_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_agencies_parent_id"))

    op.drop_table("known_agencies")
