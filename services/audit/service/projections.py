"""Projections: the facts statistics and the annual report count, kept from events alone.

Each update is idempotent on its own (set, never increment), so replaying an event, or the
whole log, leaves every number as it was.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import overload

from services.audit.adapters.orm import DocumentFact, KnownAgency, RemedyFact, RequestFact
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

_FINISHING = {"AnswerDispatched": "answered_on", "RequestClosed": "closed_on"}


async def project_agency(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    p = envelope.payload
    agency = await uow.session.get(KnownAgency, p["agency_id"])
    if agency is None:
        uow.session.add(KnownAgency(id=p["agency_id"], name=p["name"], parent_id=p.get("parent_id")))
    else:
        agency.name, agency.parent_id = p["name"], p.get("parent_id")


async def project_request(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    p = envelope.payload
    fact = await uow.session.get(RequestFact, p["request_id"])
    if fact is None:
        fact = RequestFact(
            request_id=p["request_id"],
            agency_id=p["agency_id"],
            tracking_number=p["tracking_number"],
            applicant_type=p["applicant_type"],
            organisation_type=p.get("organisation_type"),
            channel=p["channel"],
            state=p["state"],
            extension_days=0,
            correction_requested=False,
            rounds=1,
            updated_at=utcnow(),
        )
        uow.session.add(fact)
    fact.state, fact.due_on, fact.assignee_sub = p["state"], _date(p.get("due_on")), p.get("assignee_sub")
    fact.kind = p.get("kind") or "disclosure"
    fact.rounds = max(fact.rounds or 1, p.get("round", 1))
    fact.updated_at = utcnow()
    # The first receipt date counts for the report; a correction restarts the clock, not the receipt.
    if fact.received_on is None and p.get("received_on"):
        fact.received_on = _date(p["received_on"])
    if envelope.type == "CorrectionRequested":
        fact.correction_requested = True
    if envelope.type == "FeePaid":
        fact.fee_paid_yuan = p["amount_yuan"]
        fact.fee_paid_on = _date(p.get("paid_on")) or envelope.occurred_at.date()
    if envelope.type == "ExtensionDecided" and p.get("approved"):
        fact.extension_days = p.get("days", 0)
    if envelope.type in _FINISHING and fact.finished_on is None and p.get("round", 1) == 1:
        fact.outcome_category, fact.outcome_reason = p["category"], p["reason"]
        fact.finished_on = _date(p[_FINISHING[envelope.type]])
        fact.on_time = p.get("on_time") if envelope.type == "AnswerDispatched" else None
        fact.working_days_taken = p.get("working_days_taken")
    if envelope.type in ("RemedyRecorded", "RemedyDecided"):
        await _project_remedy(uow, envelope)


async def _project_remedy(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    p = envelope.payload
    remedy = await uow.session.get(RemedyFact, p["remedy_id"])
    if remedy is None:
        remedy = RemedyFact(
            remedy_id=p["remedy_id"],
            request_id=p["request_id"],
            agency_id=p["agency_id"],
            kind=p["remedy_kind"],
            filed_on=_date(p.get("filed_on")) or envelope.occurred_at.date(),
            outcome="pending",
        )
        uow.session.add(remedy)
    if envelope.type == "RemedyDecided":
        remedy.outcome, remedy.decided_on = p["outcome"], _date(p.get("decided_on"))


@overload
def _date(value: str | date) -> date: ...
@overload
def _date(value: str | date | None) -> date | None: ...
def _date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


async def project_document(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Catalog document events → DocumentFact (set-only, so replays change nothing)."""
    p = envelope.payload
    fact = await uow.session.get(DocumentFact, p["document_id"])
    if envelope.type == "DocumentPublished":
        if fact is None:
            fact = DocumentFact(document_id=p["document_id"], withdrawn=False)
            uow.session.add(fact)
        fact.agency_id, fact.category = p["agency_id"], p["category"]
        fact.made_on, fact.published_on = _date(p["made_on"]), _date(p["published_on"])
        fact.published_on_time, fact.decision_count = p.get("published_on_time"), p.get("decision_count", 1)
        fact.fee_amount_yuan = Decimal(str(p["fee_amount_yuan"])) if p.get("fee_amount_yuan") is not None else None
    elif fact is not None and envelope.type == "DocumentRepealed":
        fact.ended, fact.ended_on = p["validity"], _date(p["effective_on"])
    elif fact is not None and envelope.type == "DocumentWithdrawn":
        fact.withdrawn = True
