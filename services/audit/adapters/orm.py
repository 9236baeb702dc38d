"""Audit ORM models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigIntPK, UTCDateTime, make_metadata
from shared.plumbing import plumbing_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


plumbing = plumbing_tables(Base.metadata)


class AuditEntry(Base):
    """One event, as received, linked into the hash chain. Never updated, never deleted."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # Not unique on purpose: exactly-once is the inbox's job, and a duplicate here would be
    # visible evidence of a failure rather than a silently swallowed one.
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    event_type: Mapped[str] = mapped_column(String(120), index=True)
    event_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    aggregate_type: Mapped[str] = mapped_column(String(60))
    aggregate_id: Mapped[str] = mapped_column(String(64), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_sub: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str | None] = mapped_column(String(30))
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class KnownAgency(Base):
    """Replica of the catalog's agency tree, for subtree scopes and summed reports."""

    __tablename__ = "known_agencies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)


class RequestFact(Base):
    """One disclosure request as the events tell it: what the statistics and the annual report count."""

    __tablename__ = "request_facts"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(36), index=True)
    # disclosure | record_correction (Art. 41: correcting one's own records is no 政府信息公开申请, not in table 三)
    kind: Mapped[str] = mapped_column(String(30), default="disclosure", server_default="disclosure")
    tracking_number: Mapped[str] = mapped_column(String(40))
    applicant_type: Mapped[str] = mapped_column(String(30))
    organisation_type: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(30))
    received_on: Mapped[date | None] = mapped_column(Date, index=True)  # first receipt (Art. 31)
    due_on: Mapped[date | None] = mapped_column(Date)
    assignee_sub: Mapped[str | None] = mapped_column(String(128))
    # The first answer or closure: the one the annual report counts (a reopened request is not new).
    outcome_category: Mapped[str | None] = mapped_column(String(30))
    outcome_reason: Mapped[str | None] = mapped_column(String(40))
    finished_on: Mapped[date | None] = mapped_column(Date, index=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    working_days_taken: Mapped[int | None] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    correction_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    # 信息处理费 paid (国办函〔2020〕109号), totalled per year in part 六 of the annual report.
    fee_paid_yuan: Mapped[int | None] = mapped_column(Integer)
    fee_paid_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RemedyFact(Base):
    """A complaint, reconsideration or lawsuit about an answer, and its outcome (table 四)."""

    __tablename__ = "remedy_facts"

    remedy_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    agency_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filed_on: Mapped[date] = mapped_column(Date, index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    decided_on: Mapped[date | None] = mapped_column(Date)


class DocumentFact(Base):
    """A proactively published document as the catalog's events tell it (table 二)."""

    __tablename__ = "document_facts"

    document_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(40))
    made_on: Mapped[date] = mapped_column(Date, index=True)
    published_on: Mapped[date] = mapped_column(Date)
    published_on_time: Mapped[bool | None] = mapped_column(Boolean)
    decision_count: Mapped[int] = mapped_column(Integer, default=1)
    fee_amount_yuan: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    ended: Mapped[str | None] = mapped_column(String(20))  # repealed | expired
    ended_on: Mapped[date | None] = mapped_column(Date)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class SubjectKey(Base):
    """The key that seals one subject's personal data in the log; destroyed to erase it (crypto-shredding)."""

    __tablename__ = "subject_keys"

    subject_id: Mapped[str] = mapped_column(String(120), primary_key=True)  # request:<id> | <aggregate_type>:<id>
    applicant_sub: Mapped[str | None] = mapped_column(String(128), index=True)
    sealed_key: Mapped[str | None] = mapped_column(Text)  # AES-256 key sealed under the key-encryption key; NULL once erased
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_by: Mapped[str | None] = mapped_column(String(128))


class PublishedReport(Base):
    """An annual report as its agency published it (Art. 49-50): the verified tables frozen on that day.

    The live tables keep changing as late answers and remedies arrive; what the public reads is
    the text the agency put out, until the agency publishes it again (a correction replaces it).
    """

    __tablename__ = "published_reports"
    __table_args__ = (UniqueConstraint("agency_id", "year", "subtree"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(36), index=True)
    agency_name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer, index=True)
    subtree: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[str] = mapped_column(String(200))
    tables: Mapped[str] = mapped_column(Text)  # JSON of annual_tables(): the numbers, never recomputed
    monthly: Mapped[str] = mapped_column(Text)  # JSON {"received": [12], "answered": [12]}
    published_on: Mapped[date] = mapped_column(Date)
    published_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
