"""Deadline arithmetic applied to stored requests: the due date and its explanation."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.requests.adapters.orm import CalendarOverride, CalendarYear, DisclosureRequest, RequestPause
from services.requests.domain.clock import DueDate, Pause, PauseKind, RuleSet, compute_due, days_remaining
from services.requests.domain.workflow import CLOCK_STOPPED, FINISHED_STATES, OPEN_STATES, State
from shared.workdays import DayOverride, WorkCalendar

# Overrides change a few times a year; every request reads them. Cache per database for a
# short while; an admin's change clears this process's copy at once, other replicas' within TTL.
CALENDAR_TTL_SECONDS = 30.0
_calendars: dict[str, tuple[float, WorkCalendar]] = {}


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    """The official calendar plus the admin's overrides and announced years."""
    key = str(session.get_bind().engine.url)
    cached = _calendars.get(key)
    if cached and time.monotonic() - cached[0] < CALENDAR_TTL_SECONDS:
        return cached[1]
    overrides = (await session.execute(select(CalendarOverride))).scalars()
    years = (await session.execute(select(CalendarYear.year))).scalars()
    calendar = WorkCalendar.with_overrides((DayOverride(o.day, o.workday, o.note) for o in overrides), years)
    _calendars[key] = (time.monotonic(), calendar)
    return calendar


def forget_calendar(session: AsyncSession) -> None:
    """Drop the cached calendar after an admin changed it (this process sees it at once)."""
    _calendars.pop(str(session.get_bind().engine.url), None)


async def pauses_of(session: AsyncSession, request: DisclosureRequest) -> list[Pause]:
    rows = (
        await session.execute(
            select(RequestPause).where(RequestPause.request_id == request.id, RequestPause.round == request.round).order_by(RequestPause.id)
        )
    ).scalars()
    return [Pause(PauseKind(p.kind), p.start, p.end) for p in rows]


async def pauses_of_many(session: AsyncSession, requests: list[DisclosureRequest]) -> dict[str, list[Pause]]:
    """The current round's pauses of a page of requests, in one query (a listing must not ask once per row)."""
    rounds = {r.id: r.round for r in requests}
    found: dict[str, list[Pause]] = {r.id: [] for r in requests}
    if not rounds:
        return found
    rows = (
        await session.execute(
            select(RequestPause).where(RequestPause.request_id.in_(sorted(rounds))).order_by(RequestPause.request_id, RequestPause.id)
        )
    ).scalars()
    for p in rows:
        if p.round == rounds[p.request_id]:
            found[p.request_id].append(Pause(PauseKind(p.kind), p.start, p.end))
    return found


def explain(calendar: WorkCalendar, request: DisclosureRequest, pauses: list[Pause], today: date) -> DueDate | None:
    """The due date of the current round, or None while the clock has not started."""
    if request.clock_start is None:
        return None
    as_of = request.answered_on or request.closed_on or today
    return compute_due(
        calendar,
        request.clock_start,
        RuleSet(request.rule_set),
        pauses=pauses,
        extension_days=request.extension_days,
        today=as_of,
        override_due=request.later_due_on,
    )


async def refresh_due(
    session: AsyncSession, calendar: WorkCalendar, request: DisclosureRequest, today: date, pauses: list[Pause] | None = None
) -> DueDate | None:
    """Recompute and store `due_on` after anything that moves the clock."""
    due = explain(calendar, request, await pauses_of(session, request) if pauses is None else pauses, today)
    request.due_on = due.effective_due if due else None
    return due


async def refresh_due_dates_around(session: AsyncSession, day: date, today: date) -> int:
    """After the admin changes whether `day` is a working day, move the stored due date of every open
    request whose counting period runs over it (the queue, the scheduler and "on time" go by it)."""
    calendar = await load_calendar(session)
    affected = (
        (
            await session.execute(
                select(DisclosureRequest).where(
                    DisclosureRequest.state.in_([s.value for s in OPEN_STATES]),
                    DisclosureRequest.clock_start < day,
                    DisclosureRequest.due_on >= day,
                )
            )
        )
        .scalars()
        .all()
    )
    for request in affected:
        await refresh_due(session, calendar, request, today)
    return len(affected)


def status_of(calendar: WorkCalendar, request: DisclosureRequest, pauses: list[Pause], today: date) -> dict:
    """Days remaining, overdue and paused flags, as the API shows them."""
    state = State(request.state)
    if request.due_on is None or state in CLOCK_STOPPED:
        return {"days_remaining": None, "overdue": False, "paused": state in CLOCK_STOPPED}
    if state in FINISHED_STATES:
        finished = request.answered_on or request.closed_on
        return {
            "days_remaining": None,
            "overdue": False,
            "paused": False,
            "answered_on_time": finished is not None and finished <= request.due_on,
        }
    remaining = days_remaining(calendar, request.due_on, today, pauses)
    return {"days_remaining": remaining, "overdue": today > request.due_on, "paused": any(p.end is None for p in pauses)}
