"""Art. 44: information given to several applicants is suggested for proactive disclosure.

Consumes AnswerDispatched. "The same information" is the same file, by its SHA-256 digest:
what the agency actually handed over, not how applicants worded their requests. An
applicant counts once however often they ask (the key is their account, or the request
for applicants without one).
"""

from __future__ import annotations

from sqlalchemy import select

from services.catalog.adapters.orm import DisclosureSuggestion
from shared.contracts.requests import AnswerDispatched
from shared.events import EventEnvelope
from shared.uow import UnitOfWork


async def on_answer_dispatched(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    event = AnswerDispatched.model_validate(envelope.payload)
    if not event.provided:
        return
    applicant = event.applicant_sub or f"request:{event.request_id}"
    for item in event.provided:
        s = (
            await uow.session.execute(
                select(DisclosureSuggestion)
                .where(DisclosureSuggestion.agency_id == event.agency_id, DisclosureSuggestion.info_key == item.sha256)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if s is None:
            s = DisclosureSuggestion(
                agency_id=event.agency_id,
                info_key=item.sha256,
                title=item.filename,
                applicants=[],
                tracking_numbers=[],
                applicant_count=0,
                first_given_on=event.answered_on,
                last_given_on=event.answered_on,
                status="open",
            )
            uow.session.add(s)
        if applicant not in s.applicants:
            s.applicants = [*s.applicants, applicant]
            s.applicant_count = len(s.applicants)
        if event.tracking_number not in s.tracking_numbers:
            s.tracking_numbers = [*s.tracking_numbers, event.tracking_number]
        s.first_given_on = min(s.first_given_on, event.answered_on)
        s.last_given_on = max(s.last_given_on, event.answered_on)
