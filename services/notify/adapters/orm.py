"""Notify ORM models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
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


class Notification(Base):
    """One message to one recipient over one channel, and what became of it (proof of service)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_id", "kind", "recipient", "channel", name="uq_notifications_once"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    event_type: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(60))
    statutory: Mapped[bool] = mapped_column(Boolean, default=False)
    request_id: Mapped[str | None] = mapped_column(String(36), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(36), index=True)
    recipient: Mapped[str] = mapped_column(String(160))  # a user's sub, or role:<agency>:<role>
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))  # where it goes; masked in listings
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | sent | failed | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
