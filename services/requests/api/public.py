"""Public status check: tracking number + query code, no login, no personal data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints

from services.requests.adapters.repository import RequestRepository
from services.requests.api.deps import today
from services.requests.domain.workflow import STATE_LABELS, State
from services.requests.service.deadlines import load_calendar, pauses_of, status_of
from services.requests.service.intake import query_code_matches
from services.requests.service.views import timeline_entry
from shared.errors import Problem
from shared.ratelimit import RateLimiter, human_wait
from shared.service import UoW

router = APIRouter(prefix="/public", tags=["公开查询"])


class StatusQuery(BaseModel):
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=40)]
    query_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=16)] = Field(
        description="提交时获得的查询码"
    )


@router.post(
    "/status",
    summary="凭受理编号和查询码查询办理进度（公开，无需登录）",
    description="只返回状态、答复期限和办理步骤，不含个人信息和答复内容。用 POST 以免查询码出现在网址和日志中。",
)
async def status(body: StatusQuery, uow: UoW, request: Request) -> dict[str, Any]:
    s = request.app.state.settings
    limiter: RateLimiter = request.app.state.limiter
    ip = request.client.host if request.client else "unknown"
    await limiter.enforce(
        [(f"{s.status_per_ip_per_minute}/minute", ("status-ip", ip)), (f"{s.status_per_ip_per_hour}/hour", ("status-ip", ip))],
        code="status_rate_limited",
        detail="查询过于频繁",
    )
    # A locked tracking number is refused even with the right code, so guessing gains nothing.
    number = body.tracking_number
    lock = (f"1/{s.status_lockout_seconds} second", ("status-lock", number))
    wait = await limiter.retry_after([lock])
    if wait is not None:
        raise Problem(
            429,
            "status_locked",
            f"该受理编号的查询码输错次数过多，已暂时锁定，请 {human_wait(wait)}后再试",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )
    candidates = await RequestRepository(uow.session).by_tracking_number(body.tracking_number)
    match = next((r for r in candidates if query_code_matches(r, body.query_code)), None)
    if match is None:
        wrong = (f"{s.status_max_wrong_codes}/{s.status_wrong_code_window_seconds} second", ("status-wrong", number))
        await limiter.hit(*wrong)
        if await limiter.retry_after([wrong]) is not None:
            await limiter.hit(*lock)
        raise Problem(404, "request_not_found", "受理编号或查询码不正确")
    calendar = await load_calendar(uow.session)
    pauses = await pauses_of(uow.session, match)
    history = await RequestRepository(uow.session).history(match.id)
    return {
        "tracking_number": match.tracking_number,
        "state": match.state,
        "state_label": STATE_LABELS[State(match.state)],
        "submitted_at": match.submitted_at,
        "received_on": match.received_on,
        "due_on": match.due_on,
        **status_of(calendar, match, pauses, today(request)),
        "history": [timeline_entry(h, with_notes=False) for h in history],
    }
