"""Audit ORM models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
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
