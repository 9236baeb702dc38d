"""Formal notices (告知书, 征求意见函, 答复书) with their never-reused numbers, and each agency's numbering settings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_sequences",
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_notice_sequences")),
    )
    op.create_table(
        "agency_notice_settings",
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("short_name", sa.String(length=30), nullable=True),
        sa.Column("number_format", sa.String(length=100), nullable=True),
        sa.Column("reconsideration_body", sa.String(length=100), nullable=True),
        sa.Column("court", sa.String(length=100), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_agency_notice_settings")),
    )
    op.create_table(
        "request_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("document_number", sa.String(length=120), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("addressee", sa.String(length=200), nullable=False),
        sa.Column("reference_id", sa.String(length=36), nullable=True),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf_key", sa.String(length=300), nullable=True),
        sa.Column("pdf_size", sa.BigInteger(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"], name=op.f("fk_request_notices_request_id_disclosure_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_notices")),
        sa.UniqueConstraint("agency_id", "year", "serial", name="uq_request_notices_serial"),
        sa.UniqueConstraint("agency_id", "document_number", name="uq_request_notices_number"),
    )
    op.create_index(op.f("ix_request_notices_request_id"), "request_notices", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_request_notices_request_id"), table_name="request_notices")
    op.drop_table("request_notices")
    op.drop_table("agency_notice_settings")
    op.drop_table("notice_sequences")
