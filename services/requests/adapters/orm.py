"""Requests ORM models."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigIntPK, UTCDateTime, make_metadata, new_id, utcnow
from shared.plumbing import plumbing_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


plumbing = plumbing_tables(Base.metadata)


class KnownOfficer(Base):
    """Replica of the identity service's officer directory: who may be assigned a request, and where."""

    __tablename__ = "known_officers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))  # active | disabled
    memberships: Mapped[list] = mapped_column(JSON)  # [{"agency_id": ..., "roles": [...]}]
    version: Mapped[int] = mapped_column(Integer)  # the directory's version; older events are ignored
    replicated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KnownAgency(Base):
    """Replica of the catalog's agency tree: the agencies a request may be addressed to."""

    __tablename__ = "known_agencies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    replicated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_event_id: Mapped[str] = mapped_column(String(36))
    # The 2008 rules (15 + 15) may be chosen per agency; None follows the deployment default.
    rule_set: Mapped[str | None] = mapped_column(String(8))


class DisclosureRequest(Base):
    """One 政府信息公开申请 and where it stands."""

    __tablename__ = "disclosure_requests"
    __table_args__ = (UniqueConstraint("agency_id", "tracking_number", name="uq_disclosure_requests_tracking"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agency_id: Mapped[str] = mapped_column(String(36), index=True)
    tracking_number: Mapped[str] = mapped_column(String(40), index=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    round: Mapped[int] = mapped_column(Integer, default=1)
    rule_set: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(30))
    applicant_sub: Mapped[str | None] = mapped_column(String(128), index=True)
    registered_by: Mapped[str | None] = mapped_column(String(128))
    applicant_type: Mapped[str] = mapped_column(String(30))
    organisation_type: Mapped[str | None] = mapped_column(String(30))
    applicant_name: Mapped[str] = mapped_column(String(100))
    work_unit: Mapped[str | None] = mapped_column(String(100))
    id_type: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(String(40))
    legal_representative: Mapped[str | None] = mapped_column(String(50))
    contact_person: Mapped[str | None] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    postal_address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(String(100))
    document_title: Mapped[str | None] = mapped_column(String(300))
    purpose: Mapped[str | None] = mapped_column(Text)
    preferred_form: Mapped[str] = mapped_column(String(20))
    delivery_method: Mapped[str | None] = mapped_column(String(20))
    fee_waiver_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_on: Mapped[date | None] = mapped_column(Date)
    clock_start: Mapped[date | None] = mapped_column(Date, index=True)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    assignee_sub: Mapped[str | None] = mapped_column(String(128), index=True)
    correction_used: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_items: Mapped[list | None] = mapped_column(JSON)
    correction_requested_on: Mapped[date | None] = mapped_column(Date)
    correction_due_on: Mapped[date | None] = mapped_column(Date)
    extension_status: Mapped[str | None] = mapped_column(String(20))  # requested | approved | rejected
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_requested_days: Mapped[int | None] = mapped_column(Integer)
    extension_requested_by: Mapped[str | None] = mapped_column(String(128))
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_decided_by: Mapped[str | None] = mapped_column(String(128))
    later_due_on: Mapped[date | None] = mapped_column(Date)
    later_due_reason: Mapped[str | None] = mapped_column(Text)
    fee_amount: Mapped[int | None] = mapped_column(Integer)
    fee_method: Mapped[str | None] = mapped_column(String(10))
    fee_notice_on: Mapped[date | None] = mapped_column(Date)
    fee_pay_by: Mapped[date | None] = mapped_column(Date)
    fee_paid_on: Mapped[date | None] = mapped_column(Date)
    outcome_category: Mapped[str | None] = mapped_column(String(30))
    outcome_reason: Mapped[str | None] = mapped_column(String(40))
    answered_on: Mapped[date | None] = mapped_column(Date, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class RequestPause(Base):
    """An interval in which the answer clock stood still: working days in (start, end] don't count."""

    __tablename__ = "request_pauses"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    reference_id: Mapped[str | None] = mapped_column(String(36))


class Consultation(Base):
    """A written request for an opinion: a third party (Art. 32) or another agency (Art. 34)."""

    __tablename__ = "consultations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(200))
    party_contact: Mapped[str | None] = mapped_column(String(300))
    question: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date] = mapped_column(Date)
    reply_due_on: Mapped[date] = mapped_column(Date)
    replied_on: Mapped[date | None] = mapped_column(Date)
    opinion: Mapped[str | None] = mapped_column(String(20))  # consent | objection | other | silence
    opinion_text: Mapped[str | None] = mapped_column(Text)


class Answer(Base):
    """A proposed answer, its confidentiality review, and its dispatch."""

    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(40))
    letter: Mapped[str] = mapped_column(Text)
    exempt_parts: Mapped[list | None] = mapped_column(JSON)
    referral: Mapped[dict | None] = mapped_column(JSON)
    document_ids: Mapped[list] = mapped_column(JSON, default=list)
    record_correction_result: Mapped[str | None] = mapped_column(String(20))
    proposed_by: Mapped[str] = mapped_column(String(128))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | returned
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
    dispatched_by: Mapped[str | None] = mapped_column(String(128))
    dispatched_on: Mapped[date | None] = mapped_column(Date)
    delivery_form: Mapped[str | None] = mapped_column(String(20))


class Remedy(Base):
    """A complaint, reconsideration or lawsuit about the answer (Art. 51), and its outcome."""

    __tablename__ = "remedies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filed_on: Mapped[date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))


class HistoryEntry(Base):
    """The request's timeline: every step, who took it and why."""

    __tablename__ = "request_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_sub: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)  # officers' reasons; not shown on public endpoints


class Attachment(Base):
    """A stored file: identity proof or supporting material, or an answer document."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str | None] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    owner_sub: Mapped[str] = mapped_column(String(128), index=True)
    purpose: Mapped[str] = mapped_column(String(30))  # identity_proof | supporting | answer_document
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrackingSequence(Base):
    """Per agency and year, the last tracking serial handed out."""

    __tablename__ = "tracking_sequences"

    agency_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(Base):
    """A submission's Idempotency-Key: a retry gets the original answer, never a duplicate."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(36))
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderSent(Base):
    """A deadline reminder already emitted: the primary key makes each one happen once."""

    __tablename__ = "reminders_sent"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)  # approaching | due_today | overdue
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarOverride(Base):
    """An admin's correction of the official calendar for one day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")
    set_by: Mapped[str] = mapped_column(String(128))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarYear(Base):
    """A year whose holiday arrangement the admin has entered in full."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    announced_by: Mapped[str] = mapped_column(String(128))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountAlias(Base):
    """An account the identity service merged into another: its still-valid tokens act as the survivor."""

    __tablename__ = "account_aliases"

    merged_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    into_id: Mapped[str] = mapped_column(String(128))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoticeSequence(Base):
    """Per agency and year, the last notice number (文号 serial) handed out: taken in the step's transaction."""

    __tablename__ = "notice_sequences"

    agency_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AgencyNoticeSettings(Base):
    """How an agency's notices are numbered and signed: its 机关简称, the 文号 format, remedy bodies."""

    __tablename__ = "agency_notice_settings"

    agency_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    short_name: Mapped[str | None] = mapped_column(String(30))
    number_format: Mapped[str | None] = mapped_column(String(100))
    reconsideration_body: Mapped[str | None] = mapped_column(String(100))
    court: Mapped[str | None] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(300))
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Notice(Base):
    """A formal written notice (告知书, 征求意见函, 答复书): its number, its frozen printable HTML, its PDF."""

    __tablename__ = "request_notices"
    __table_args__ = (
        # A 文号 is never reused: neither the serial of an agency's year nor the printed number.
        UniqueConstraint("agency_id", "year", "serial", name="uq_request_notices_serial"),
        UniqueConstraint("agency_id", "document_number", name="uq_request_notices_number"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    agency_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    document_number: Mapped[str] = mapped_column(String(120))
    issued_on: Mapped[date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(20))  # applicant | party (a consulted third party or agency)
    addressee: Mapped[str] = mapped_column(String(200))
    reference_id: Mapped[str | None] = mapped_column(String(36))  # the consultation or answer it carries
    html: Mapped[str] = mapped_column(Text)  # as issued: the PDF is printed from exactly this
    pdf_key: Mapped[str | None] = mapped_column(String(300))  # None until printed (then never changes)
    pdf_size: Mapped[int | None] = mapped_column(BigInteger)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
