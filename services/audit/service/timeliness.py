"""Timeliness statistics and the overdue list over the request projections."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import KnownAgency, RequestFact
from services.audit.domain.timeliness import FINISHED, TimelinessFact, is_overdue, timeliness


async def _names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(KnownAgency.id, KnownAgency.name).where(KnownAgency.id.in_(sorted(ids))))
    return dict(rows.all())


def _fact(f: RequestFact) -> TimelinessFact:
    return TimelinessFact(
        f.agency_id,
        f.state,
        f.received_on,
        f.due_on,
        f.finished_on,
        f.on_time,
        f.working_days_taken,
        f.extension_days or 0,
        bool(f.correction_requested),
    )


async def timeliness_report(
    session: AsyncSession, agencies: set[str] | None, *, since: date | None, until: date | None, today: date
) -> dict:
    """Per agency and in total; `agencies` None means every agency."""
    query = select(RequestFact)
    if agencies is not None:
        query = query.where(RequestFact.agency_id.in_(sorted(agencies)))
    by_agency: dict[str, list[TimelinessFact]] = {a: [] for a in agencies or ()}
    for f in (await session.execute(query)).scalars():
        by_agency.setdefault(f.agency_id, []).append(_fact(f))
    names = await _names(session, set(by_agency))
    rows = [
        {"agency_id": a, "agency_name": names.get(a), **timeliness(facts, since=since, until=until, today=today)}
        for a, facts in sorted(by_agency.items(), key=lambda item: (names.get(item[0]) or "", item[0]))
    ]
    total = timeliness((f for facts in by_agency.values() for f in facts), since=since, until=until, today=today)
    return {"since": since, "until": until, "today": today, "total": total, "agencies": rows}


async def overdue_list(session: AsyncSession, agencies: set[str] | None, *, today: date) -> list[dict]:
    """Open requests past their due date, oldest due first, with the responsible agency and handler."""
    query = select(RequestFact).where(
        RequestFact.due_on < today, RequestFact.finished_on.is_(None), RequestFact.state.not_in(sorted(FINISHED))
    )
    if agencies is not None:
        query = query.where(RequestFact.agency_id.in_(sorted(agencies)))
    facts = [
        f
        for f in (await session.execute(query.order_by(RequestFact.due_on, RequestFact.request_id))).scalars()
        if is_overdue(_fact(f), today)
    ]
    names = await _names(session, {f.agency_id for f in facts})
    return [
        {
            "request_id": f.request_id,
            "tracking_number": f.tracking_number,
            "agency_id": f.agency_id,
            "agency_name": names.get(f.agency_id),
            "assignee_sub": f.assignee_sub,
            "state": f.state,
            "received_on": f.received_on,
            "due_on": f.due_on,
            "days_overdue": (today - f.due_on).days,
        }
        for f in facts
        if f.due_on is not None  # is_overdue holds only for a request with a due date
    ]
