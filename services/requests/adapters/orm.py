"""Requests ORM models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata
from shared.plumbing import plumbing_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


plumbing = plumbing_tables(Base.metadata)


class KnownAgency(Base):
    """Replica of the catalog's agency tree: the agencies a request may be addressed to."""

    __tablename__ = "known_agencies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    replicated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_event_id: Mapped[str] = mapped_column(String(36))
