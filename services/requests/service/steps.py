"""The mechanics every workflow step shares: guard, record, emit."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.requests.adapters.orm import DisclosureRequest, HistoryEntry
from services.requests.domain.workflow import ACTION_LABELS, STATE_LABELS, Action, State, allowed_actions, can
from shared.auth import Principal
from shared.contracts.requests import Contact, RequestEvent
from shared.errors import Problem
from shared.events import Actor
from shared.uow import UnitOfWork

SOURCE = "requests"


def actor_of(principal: Principal | None) -> Actor:
    if principal is None:
        return Actor.system("requests-scheduler")
    return Actor(sub=principal.sub, role=principal.primary_role.value, agency_id=principal.agency_id)


def guard(request: DisclosureRequest, action: Action) -> None:
    """409 naming the current state and what may be done instead."""
    state = State(request.state)
    if not can(action, state):
        options = allowed_actions(state)
        listed = "、".join(ACTION_LABELS[a] for a in options) or "无"
        raise Problem(
            409,
            "illegal_transition",
            f"申请当前状态为“{STATE_LABELS[state]}”，不能{ACTION_LABELS[action]}；可执行的操作：{listed}",
            current_state=state.value,
            allowed_actions=[a.value for a in options],
        )


def contact_of(request: DisclosureRequest) -> Contact:
    return Contact(name=request.applicant_name, mobile=request.mobile, email=request.email, address=request.postal_address)


def facts(request: DisclosureRequest, previous_state: str | None, *, with_contact: bool) -> dict[str, Any]:
    return dict(
        request_id=request.id,
        tracking_number=request.tracking_number,
        agency_id=request.agency_id,
        state=request.state,
        previous_state=previous_state,
        round=request.round,
        kind=request.kind,
        applicant_sub=request.applicant_sub,
        applicant_type=request.applicant_type,
        organisation_type=request.organisation_type,
        channel=request.channel,
        received_on=request.clock_start,
        due_on=request.due_on,
        assignee_sub=request.assignee_sub,
        contact=contact_of(request) if with_contact else None,
    )


def record(
    uow: UnitOfWork,
    request: DisclosureRequest,
    principal: Principal | None,
    action: Action | str,
    previous_state: str | None,
    event_cls: type[RequestEvent],
    *,
    note: str | None = None,
    notify_applicant: bool = False,
    **extra: Any,
) -> None:
    """Write the timeline entry and queue the event, both in the caller's transaction."""
    actor = actor_of(principal)
    uow.session.add(
        HistoryEntry(
            request_id=request.id,
            action=str(action),
            from_state=previous_state,
            to_state=request.state,
            actor_sub=actor.sub,
            actor_role=actor.role or actor.kind,
            note=note,
        )
    )
    event = event_cls(**facts(request, previous_state, with_contact=notify_applicant), note=note, **extra)
    uow.emit(event.topic, event.envelope(source=SOURCE, aggregate_id=request.id, agency_id=request.agency_id, actor=actor))


def move(request: DisclosureRequest, to: State) -> str:
    """Set the new state; returns the previous one."""
    previous = request.state
    request.state = to.value
    return previous


def last_step_on(request: DisclosureRequest) -> date | None:
    """The date of the request's latest dated step so far: an act cannot be dated before it."""
    dates = [
        d
        for d in (
            request.received_on,
            request.clock_start,
            request.correction_requested_on,
            request.fee_notice_on,
            request.fee_paid_on,
            request.answered_on,
            request.closed_on,
        )
        if d is not None
    ]
    return max(dates, default=None)


def acted_on(request: DisclosureRequest, command: Any, today: date) -> tuple[date, str | None]:
    """The day an act happened: today, or the earlier day the office records with a reason (kept in the timeline).

    A letter received on 30 December and entered in January must count in December: not in the
    future, not before the request's previous step, and never without saying why.
    """
    day = getattr(command, "acted_on", None)
    if day is None or day == today:
        return today, None
    require_date_not_future(day, today, "acted_on")
    if (previous := last_step_on(request)) is not None and day < previous:
        raise Problem(
            422,
            "date_before_previous_step",
            f"实际发生日期不能早于上一步的日期（{previous.isoformat()}）",
            errors=[{"field": "acted_on", "message": f"不能早于 {previous.isoformat()}"}],
        )
    reason = (getattr(command, "acted_on_reason", None) or "").strip()
    if not reason:
        raise Problem(
            422,
            "acted_on_reason_required",
            "补录早于今天的实际发生日期时，请说明原因",
            errors=[{"field": "acted_on_reason", "message": "请说明补录原因"}],
        )
    return day, f"补录：实际发生于{day.isoformat()}（{today.isoformat()}录入），原因：{reason}"


def with_note(*notes: str | None) -> str | None:
    return "；".join(n for n in notes if n) or None


def require_date_not_future(value: date, today: date, field: str) -> None:
    if value > today:
        raise Problem(422, "date_in_future", "日期不能晚于今天", errors=[{"field": field, "message": "日期不能晚于今天"}])
