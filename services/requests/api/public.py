"""Public status check: tracking number + query code, no login, no personal data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints

from shared.errors import Problem
from shared.service import UoW

from services.requests.adapters.repository import RequestRepository
from services.requests.api.deps import today
from services.requests.domain.workflow import STATE_LABELS, State
from services.requests.service.deadlines import load_calendar, pauses_of, status_of
from services.requests.service.intake import query_code_matches
from services.requests.service.views import timeline_entry

router = APIRouter(prefix="/public", tags=["公开查询"])


class StatusQuery(BaseModel):
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=40)]
    query_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=16)] = Field(description="提交时获得的查询码")


@router.post("/status", summary="凭受理编号和查询码查询办理进度（公开，无需登录）",
             description="只返回状态、答复期限和办理步骤，不含个人信息和答复内容。用 POST 以免查询码出现在网址和日志中。")
async def status(body: StatusQuery, uow: UoW, request: Request) -> dict[str, Any]:
    candidates = await RequestRepository(uow.session).by_tracking_number(body.tracking_number)
    match = next((r for r in candidates if query_code_matches(r, body.query_code)), None)
    if match is None:
        raise Problem(404, "request_not_found", "受理编号或查询码不正确")
    calendar = await load_calendar(uow.session)
    pauses = await pauses_of(uow.session, match)
    history = await RequestRepository(uow.session).history(match.id)
    return {
        "tracking_number": match.tracking_number, "state": match.state, "state_label": STATE_LABELS[State(match.state)],
        "submitted_at": match.submitted_at, "received_on": match.received_on, "due_on": match.due_on,
        **status_of(calendar, match, pauses, today(request)),
        "history": [timeline_entry(h, with_notes=False) for h in history],
    }
