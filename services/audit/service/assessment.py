"""Gathers an agency's (or subtree's) statistics for the assessment from the projections."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import DocumentFact, RemedyFact, RequestFact
from services.audit.domain.assessment import AgencyStats

OPEN_STATES = ("received", "in_progress", "consulting", "awaiting_fee", "under_review", "approved")


async def agency_stats(session: AsyncSession, agencies: set[str], year: int, today: date) -> AgencyStats:
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_scope = RequestFact.agency_id.in_(agencies)
    answered_in_year = and_(in_scope, RequestFact.finished_on.between(start, end), RequestFact.on_time.is_not(None))
    answered = (await session.execute(select(func.count()).where(answered_in_year))).scalar_one()
    on_time = (await session.execute(select(func.count()).where(answered_in_year, RequestFact.on_time.is_(True)))).scalar_one()
    as_of = min(today, end)
    overdue = (
        await session.execute(select(func.count()).where(in_scope, RequestFact.state.in_(OPEN_STATES), RequestFact.due_on < as_of))
    ).scalar_one()
    corrected = (
        await session.execute(
            select(func.count()).where(
                RemedyFact.agency_id.in_(agencies), RemedyFact.outcome == "corrected", RemedyFact.decided_on.between(start, end)
            )
        )
    ).scalar_one()
    # Art. 26: documents published in the year, judged on time or late by the catalog when it published
    # them (within 20 working days of being made); a withdrawn publication counts nowhere.
    published_in_year = and_(
        DocumentFact.agency_id.in_(agencies),
        DocumentFact.published_on.between(start, end),
        DocumentFact.withdrawn.is_(False),
        DocumentFact.published_on_time.is_not(None),
    )
    documents = (await session.execute(select(func.count()).where(published_in_year))).scalar_one()
    documents_on_time = (
        await session.execute(select(func.count()).where(published_in_year, DocumentFact.published_on_time.is_(True)))
    ).scalar_one()
    return AgencyStats(
        answered=answered,
        answered_on_time=on_time,
        overdue_open=overdue,
        corrected_remedies=corrected,
        documents_published=documents or None,
        documents_on_time=documents_on_time if documents else None,
    )
