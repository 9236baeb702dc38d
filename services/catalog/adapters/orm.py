"""Catalog ORM models."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata, new_id, utcnow
from shared.plumbing import plumbing_tables

# PostgreSQL: a GIN-indexed tsvector; SQLite: the lexemes as a space-framed string.
SearchVector = TSVECTOR().with_variant(Text(), "sqlite")
SAMPLE_BUCKETS = 1000  # documents.sample_bucket is uniform in 0..999
# The expressions the PostgreSQL search index holds next to the words (migration 0003), spelled
# as PostgreSQL prints them; adapters/search.py writes its conditions on the same expressions.
EPOCH = date(2000, 1, 1)
# The documents whose 文号 must be unique within their agency: not withdrawn, not a 政策解读 (which may cite its policy's).
LIVE_DOC_NUMBER = "doc_number_key IS NOT NULL AND status <> 'withdrawn' AND category_code <> 'policy_interpretation'"
GIN_YEAR = "((EXTRACT(year FROM published_on))::integer)"
GIN_DAY = f"((published_on - '{EPOCH.isoformat()}'::date))"
GIN_SAMPLE = "((sample_bucket)::integer)"


class Base(DeclarativeBase):
    metadata = make_metadata()


plumbing = plumbing_tables(Base.metadata)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Guide(Base):
    """An agency's 政府信息公开指南 (Art. 12, 23-24): where and how to ask for information."""

    __tablename__ = "guides"

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    office: Mapped[str] = mapped_column(String(100))  # 政府信息公开工作机构
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(6))
    hours: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(200))
    channels: Mapped[list] = mapped_column(JSON, default=list)  # 申请渠道: online, letter, in_person, fax, email
    scope: Mapped[str | None] = mapped_column(Text)  # 主动公开的范围与方式等补充说明
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Category(Base):
    """The taxonomy: 信息类别 (kind=category) and 主题分类 (kind=topic), each a tree."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # category | topic
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    # What the annual report counts it as (shared/contracts/catalog.py DocumentEvent.category).
    report_class: Mapped[str | None] = mapped_column(String(30))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class IndexSequence(Base):
    """Per agency and year, the last 索引号 serial handed out: numbers are never reused."""

    __tablename__ = "index_sequences"

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """One item of the 政府信息公开目录, from draft to publication and after."""

    __tablename__ = "documents"
    __table_args__ = (
        # Covering: filter-only counts over a date range are index-only scans.
        Index(
            "ix_documents_public",
            "status",
            "published_on",
            postgresql_include=["agency_id", "category_code", "topic_code", "validity", "sample_bucket"],
        ),
        Index("ix_documents_agency_status", "agency_id", "status"),
        # On PostgreSQL, migration 0003 makes this a btree_gin index over the words and, as
        # expressions, the agency, year, day number and sample bucket (adapters/search.py).
        Index(
            "ix_documents_search", "search_vector", "agency_id", text(GIN_YEAR), text(GIN_DAY), text(GIN_SAMPLE), postgresql_using="gin"
        ).ddl_if(dialect="postgresql"),
        Index("ix_documents_search", "search_vector").ddl_if(dialect="sqlite"),
        # Filter-only sample probes: an index-only scan over the sample, no heap page per row.
        Index(
            "ix_documents_sample",
            "status",
            "sample_bucket",
            postgresql_include=["published_on", "agency_id", "category_code", "topic_code", "validity"],
        ),
        # One live document per 文号 and agency (migration 0004; service/documents.py says so first, in Chinese).
        Index(
            "uq_documents_agency_doc_number",
            "agency_id",
            "doc_number_key",
            unique=True,
            sqlite_where=text(LIVE_DOC_NUMBER),
            postgresql_where=text(LIVE_DOC_NUMBER),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    index_number: Mapped[str] = mapped_column(String(40), unique=True)  # 索引号
    title: Mapped[str] = mapped_column(String(300))  # 信息名称
    summary: Mapped[str | None] = mapped_column(Text)  # 内容概述
    body: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(String(100))  # 发布机构
    doc_number: Mapped[str | None] = mapped_column(String(100))  # 文号
    doc_number_key: Mapped[str | None] = mapped_column(String(100), index=True)  # canonical 文号, for lookups
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)  # 信息类别
    topic_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)  # 主题分类
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    made_on: Mapped[date] = mapped_column(Date)  # 生成日期 (成文日期)
    publish_due_on: Mapped[date] = mapped_column(Date, index=True)  # made_on + 20 working days (Art. 26)
    published_on: Mapped[date | None] = mapped_column(Date)  # 发布日期
    published_on_time: Mapped[bool | None] = mapped_column(Boolean)
    validity: Mapped[str] = mapped_column(String(10), default="valid")  # valid 有效 | expired 失效 | repealed 废止
    validity_changed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # draft | in_review | published | withdrawn
    interprets_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), index=True)  # 政策解读 → its policy
    decision_count: Mapped[int] = mapped_column(Integer, default=1)
    fee_amount_yuan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    author_sub: Mapped[str] = mapped_column(String(128))
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    review_note: Mapped[str | None] = mapped_column(Text)  # the reasons of the last return
    revision: Mapped[int] = mapped_column(Integer, default=1)
    pending_revision: Mapped[dict | None] = mapped_column(JSON)  # changes to a published item awaiting review
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    search_vector = mapped_column(SearchVector, nullable=True, deferred=True)  # set while published only
    # PostgreSQL only: the title, 文号 and keywords alone, small and inline (STORAGE MAIN), so relevance ranking
    # reads a few bytes per match instead of the whole text (see adapters/search.py).
    title_vector = mapped_column(SearchVector, nullable=True, deferred=True)
    # 0-999, fixed at creation: lets counts over very many matches read a permille sample.
    sample_bucket: Mapped[int] = mapped_column(SmallInteger, default=lambda: secrets.randbelow(SAMPLE_BUCKETS))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class DocumentRevision(Base):
    """What a published item looked like before each approved revision (history kept)."""

    __tablename__ = "document_revisions"
    __table_args__ = (UniqueConstraint("document_id", "revision", name="uq_document_revisions"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    revised_by: Mapped[str] = mapped_column(String(128))
    approved_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentAttachment(Base):
    __tablename__ = "document_attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisclosureSuggestion(Base):
    """Art. 44: the same information given to several applicants, suggested for proactive disclosure."""

    __tablename__ = "disclosure_suggestions"
    __table_args__ = (UniqueConstraint("agency_id", "info_key", name="uq_disclosure_suggestions"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agency_id: Mapped[str] = mapped_column(String(36), index=True)
    info_key: Mapped[str] = mapped_column(String(64))  # sha256 of the document given
    title: Mapped[str] = mapped_column(String(255))  # the file name it was given under
    applicants: Mapped[list] = mapped_column(JSON, default=list)  # distinct applicant keys (never shown)
    tracking_numbers: Mapped[list] = mapped_column(JSON, default=list)
    applicant_count: Mapped[int] = mapped_column(Integer, default=0)
    first_given_on: Mapped[date] = mapped_column(Date)
    last_given_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | adopted | dismissed
    document_id: Mapped[str | None] = mapped_column(String(36))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
