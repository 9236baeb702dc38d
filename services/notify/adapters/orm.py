"""Notify ORM models."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata, new_id, utcnow
from shared.plumbing import plumbing_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


plumbing = plumbing_tables(Base.metadata)


MAILBOX_KINDS = ("user", "role")


class InboxMessage(Base):
    """A message in a site inbox (站内信): a user's own, or an agency's mailbox for one role.

    The mailbox is the pair (recipient_kind, recipient_sub): ("user", <sub>) or ("role",
    "role:<agency>:<role>"). The kind keeps the two apart, so a user whose sub reads like a
    role mailbox still only ever reaches their own messages.
    """

    __tablename__ = "inbox_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient_kind: Mapped[str] = mapped_column(String(10), default="user", server_default="user")  # user | role
    recipient_sub: Mapped[str] = mapped_column(String(128), index=True)  # the user's sub, or role:<agency>:<role>
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
    # a user's sub, role:<agency>:<role>, applicant:<request> (no account) or party:<consultation>
    recipient: Mapped[str] = mapped_column(String(160))
    channel: Mapped[str] = mapped_column(String(20))  # inbox | email | sms | wechat | post
    address: Mapped[str] = mapped_column(String(300))  # where it goes (postal address for post); masked in listings
    addressee: Mapped[str | None] = mapped_column(String(200))  # the name on the envelope (post)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Pre-approved provider templates (SMS TemplateCode, WeChat template id) and what fills them.
    template_id: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict | None] = mapped_column(JSON)
    page: Mapped[str | None] = mapped_column(String(300))
    # E-mail: the formal notice that goes with it as a PDF ({request_id, notice_id, filename}), fetched when sending.
    attachment: Mapped[dict | None] = mapped_column(JSON)
    # pending | sent | failed | skipped; letters: to_post | sent, or standby → not_needed | to_post (a reserve letter)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Post: the day the letter was mailed and who recorded it (the tracking number is provider_message_id).
    posted_on: Mapped[date | None] = mapped_column(Date)
    posted_by: Mapped[str | None] = mapped_column(String(128))


class KnownAgency(Base):
    """Replica of the catalog's agency tree: which agencies an officer's scope covers."""

    __tablename__ = "known_agencies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    replicated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnownOfficer(Base):
    """Replica of the officer directory: an officer's work contacts and roles, for their notices."""

    __tablename__ = "known_officers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))  # active | disabled
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    memberships: Mapped[list] = mapped_column(JSON)  # [{"agency_id": ..., "roles": [...]}]
    version: Mapped[int] = mapped_column(Integer)  # the directory's version; older events are ignored
    replicated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecipientPreference(Base):
    """How a user wants to be notified; statutory notices still reach their inbox whatever they choose."""

    __tablename__ = "recipient_preferences"

    sub: Mapped[str] = mapped_column(String(128), primary_key=True)
    channels: Mapped[list] = mapped_column(JSON)  # enabled: inbox, email, sms, wechat
    non_statutory_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    wechat_openid: Mapped[str | None] = mapped_column(String(64))  # bound from the mini-program
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookSubscription(Base):
    """An agency system (OA, archives, dashboard) that wants events pushed to it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agency_id: Mapped[str | None] = mapped_column(String(36), index=True)  # None: every agency (admins only)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    event_types: Mapped[list] = mapped_column(JSON)  # ["*"] for all
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event pushed to one subscription: the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_once"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
