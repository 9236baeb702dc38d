"""Notify ORM models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata, new_id, utcnow
from shared.plumbing import plumbing_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


plumbing = plumbing_tables(Base.metadata)


class InboxMessage(Base):
    """A message in a user's site inbox (站内信)."""

    __tablename__ = "inbox_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient_sub: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    source_event_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
