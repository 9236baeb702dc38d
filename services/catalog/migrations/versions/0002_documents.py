"""Documents, guide, taxonomy (seeded), attachments, revisions, Art. 44 suggestions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:45:26.139881
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The seeded taxonomy, as it stood when this revision was written (services/catalog/domain/taxonomy.py).
SEED: list[dict[str, Any]] = [
    {"code": "regulatory", "name": "法规文件", "kind": "category", "parent_code": None, "report_class": None, "sort": 0, "active": True},
    {
        "code": "regulation",
        "name": "规章",
        "kind": "category",
        "parent_code": "regulatory",
        "report_class": "regulation",
        "sort": 10,
        "active": True,
    },
    {
        "code": "normative_document",
        "name": "行政规范性文件",
        "kind": "category",
        "parent_code": "regulatory",
        "report_class": "normative_document",
        "sort": 20,
        "active": True,
    },
    {
        "code": "other_document",
        "name": "其他文件",
        "kind": "category",
        "parent_code": "regulatory",
        "report_class": "other",
        "sort": 30,
        "active": True,
    },
    {"code": "plan", "name": "规划计划", "kind": "category", "parent_code": None, "report_class": "other", "sort": 40, "active": True},
    {"code": "finance", "name": "财政信息", "kind": "category", "parent_code": None, "report_class": "other", "sort": 50, "active": True},
    {"code": "budget", "name": "预决算", "kind": "category", "parent_code": "finance", "report_class": "other", "sort": 60, "active": True},
    {
        "code": "three_public_expenses",
        "name": "三公经费",
        "kind": "category",
        "parent_code": "finance",
        "report_class": "other",
        "sort": 70,
        "active": True,
    },
    {"code": "personnel", "name": "人事信息", "kind": "category", "parent_code": None, "report_class": "other", "sort": 80, "active": True},
    {
        "code": "administrative_license",
        "name": "行政许可",
        "kind": "category",
        "parent_code": None,
        "report_class": "administrative_license",
        "sort": 90,
        "active": True,
    },
    {
        "code": "administrative_penalty",
        "name": "行政处罚",
        "kind": "category",
        "parent_code": None,
        "report_class": "administrative_penalty",
        "sort": 100,
        "active": True,
    },
    {
        "code": "administrative_coercion",
        "name": "行政强制",
        "kind": "category",
        "parent_code": None,
        "report_class": "administrative_coercion",
        "sort": 110,
        "active": True,
    },
    {
        "code": "administrative_fee",
        "name": "行政事业性收费",
        "kind": "category",
        "parent_code": None,
        "report_class": "administrative_fee",
        "sort": 120,
        "active": True,
    },
    {
        "code": "policy_interpretation",
        "name": "政策解读",
        "kind": "category",
        "parent_code": None,
        "report_class": "other",
        "sort": 130,
        "active": True,
    },
    {
        "code": "work_update",
        "name": "工作动态",
        "kind": "category",
        "parent_code": None,
        "report_class": "other",
        "sort": 140,
        "active": True,
    },
    {
        "code": "social_assistance",
        "name": "低保与救助",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 0,
        "active": True,
    },
    {"code": "employment", "name": "就业", "kind": "topic", "parent_code": None, "report_class": None, "sort": 10, "active": True},
    {
        "code": "housing_security",
        "name": "住房保障",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 20,
        "active": True,
    },
    {"code": "environment", "name": "环境保护", "kind": "topic", "parent_code": None, "report_class": None, "sort": 30, "active": True},
    {
        "code": "education_health",
        "name": "教育医疗",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 40,
        "active": True,
    },
    {
        "code": "rural_revitalization",
        "name": "扶贫/乡村振兴",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 50,
        "active": True,
    },
    {
        "code": "major_projects",
        "name": "重大建设项目",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 60,
        "active": True,
    },
    {
        "code": "public_resources",
        "name": "公共资源交易",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 70,
        "active": True,
    },
    {
        "code": "food_drug_safety",
        "name": "食品药品安全",
        "kind": "topic",
        "parent_code": None,
        "report_class": None,
        "sort": 80,
        "active": True,
    },
    {"code": "work_safety", "name": "安全生产", "kind": "topic", "parent_code": None, "report_class": None, "sort": 90, "active": True},
]


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("report_class", sa.String(length=30), nullable=True),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_code"], ["categories.code"], name=op.f("fk_categories_parent_code_categories")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_table(
        "disclosure_suggestions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("info_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("applicants", sa.JSON(), nullable=False),
        sa.Column("tracking_numbers", sa.JSON(), nullable=False),
        sa.Column("applicant_count", sa.Integer(), nullable=False),
        sa.Column("first_given_on", sa.Date(), nullable=False),
        sa.Column("last_given_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_suggestions")),
        sa.UniqueConstraint("agency_id", "info_key", name="uq_disclosure_suggestions"),
    )
    with op.batch_alter_table("disclosure_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_suggestions_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("index_number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("publisher", sa.String(length=100), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("doc_number_key", sa.String(length=100), nullable=True),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("topic_code", sa.String(length=40), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("publish_due_on", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("published_on_time", sa.Boolean(), nullable=True),
        sa.Column("validity", sa.String(length=10), nullable=False),
        sa.Column("validity_changed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("interprets_id", sa.String(length=36), nullable=True),
        sa.Column("decision_count", sa.Integer(), nullable=False),
        sa.Column("fee_amount_yuan", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("author_sub", sa.String(length=128), nullable=False),
        sa.Column("submitted_by", sa.String(length=128), nullable=True),
        sa.Column("reviewed_by", sa.String(length=128), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pending_revision", sa.JSON(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("search_vector", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.Column("title_vector", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.Column("sample_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_documents_agency_id_agencies")),
        sa.ForeignKeyConstraint(["category_code"], ["categories.code"], name=op.f("fk_documents_category_code_categories")),
        sa.ForeignKeyConstraint(["interprets_id"], ["documents.id"], name=op.f("fk_documents_interprets_id_documents")),
        sa.ForeignKeyConstraint(["topic_code"], ["categories.code"], name=op.f("fk_documents_topic_code_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("index_number", name=op.f("uq_documents_index_number")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Keep rows narrow: the body and the full search vector live out of line (TOAST), so a
        # search that visits many matching rows for facet counts reads small tuples. Not lower:
        # at 256 even the ids and codes went out of line and every facet count paid to fetch them.
        op.execute("ALTER TABLE documents SET (toast_tuple_target = 512)")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_agency_status", ["agency_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_category_code"), ["category_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_doc_number_key"), ["doc_number_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_interprets_id"), ["interprets_id"], unique=False)
        batch_op.create_index("ix_documents_public", ["status", "published_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_publish_due_on"), ["publish_due_on"], unique=False)
        batch_op.create_index("ix_documents_search", ["search_vector"], unique=False, postgresql_using="gin")
        batch_op.create_index(batch_op.f("ix_documents_topic_code"), ["topic_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_sample_bucket"), ["sample_bucket"], unique=False)

    op.create_table(
        "guides",
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("office", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=True),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("fax", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_guides_agency_id_agencies")),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_guides")),
    )
    op.create_table(
        "index_sequences",
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_index_sequences_agency_id_agencies")),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_index_sequences")),
    )
    op.create_table(
        "document_attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_attachments_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_attachments")),
    )
    with op.batch_alter_table("document_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_attachments_document_id"), ["document_id"], unique=False)

    op.create_table(
        "document_revisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("revised_by", sa.String(length=128), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_document_revisions_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_revisions")),
        sa.UniqueConstraint("document_id", "revision", name="uq_document_revisions"),
    )
    with op.batch_alter_table("document_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_revisions_document_id"), ["document_id"], unique=False)

    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("website", sa.String(length=200), nullable=True))
    categories = sa.table("categories", *(sa.column(c) for c in SEED[0]))
    op.bulk_insert(categories, SEED)


def downgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("website")
        batch_op.drop_column("address")
        batch_op.drop_column("phone")

    with op.batch_alter_table("document_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_revisions_document_id"))

    op.drop_table("document_revisions")
    with op.batch_alter_table("document_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_attachments_document_id"))

    op.drop_table("document_attachments")
    op.drop_table("index_sequences")
    op.drop_table("guides")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_topic_code"))
        batch_op.drop_index(batch_op.f("ix_documents_sample_bucket"))
        batch_op.drop_index("ix_documents_search", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_documents_publish_due_on"))
        batch_op.drop_index("ix_documents_public")
        batch_op.drop_index(batch_op.f("ix_documents_interprets_id"))
        batch_op.drop_index(batch_op.f("ix_documents_doc_number_key"))
        batch_op.drop_index(batch_op.f("ix_documents_category_code"))
        batch_op.drop_index("ix_documents_agency_status")

    op.drop_table("documents")
    with op.batch_alter_table("disclosure_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_suggestions_agency_id"))

    op.drop_table("disclosure_suggestions")
    op.drop_table("categories")
