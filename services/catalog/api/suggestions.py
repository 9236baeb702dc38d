"""Art. 44 suggestions: information several applicants were given, for the agency to consider publishing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from services.catalog.adapters.orm import DisclosureSuggestion, Document
from services.catalog.domain.documents import Status
from services.catalog.service.access import MANAGERS, READERS, scope_of
from services.catalog.service.commands import AdoptIn, NoteIn
from shared.auth import Principal, require
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/suggestions", tags=["转为主动公开的建议（第四十四条）"])


def _view(s: DisclosureSuggestion) -> dict[str, Any]:
    return {
        "id": s.id,
        "agency_id": s.agency_id,
        "title": s.title,
        "sha256": s.info_key,
        "applicant_count": s.applicant_count,
        "tracking_numbers": s.tracking_numbers,
        "first_given_on": s.first_given_on,
        "last_given_on": s.last_given_on,
        "status": s.status,
        "document_id": s.document_id,
        "decided_by": s.decided_by,
        "note": s.note,
    }


@router.get(
    "",
    summary="建议主动公开的信息（工作人员）",
    description="同一信息（同一文件）已向不少于设定人数的不同申请人提供的，列为建议转为主动公开（第四十四条）。",
)
async def list_suggestions(
    request: Request,
    uow: UoW,
    principal: Annotated[Principal, Depends(require(*READERS))],
    status: Annotated[str, Query(pattern="^(open|adopted|dismissed)$")] = "open",
) -> list[dict[str, Any]]:
    threshold = request.app.state.settings.suggestion_threshold
    stmt = select(DisclosureSuggestion).where(DisclosureSuggestion.status == status, DisclosureSuggestion.applicant_count >= threshold)
    scope = await scope_of(uow.session, principal)
    if scope is not None:
        stmt = stmt.where(DisclosureSuggestion.agency_id.in_(sorted(scope)))
    rows = (
        await uow.session.execute(stmt.order_by(DisclosureSuggestion.applicant_count.desc(), DisclosureSuggestion.last_given_on.desc()))
    ).scalars()
    return [_view(s) for s in rows]


async def _open(uow, principal: Principal, suggestion_id: str) -> DisclosureSuggestion:
    s = await uow.session.get(DisclosureSuggestion, suggestion_id)
    scope = await scope_of(uow.session, principal)
    # Another agency's suggestion answers exactly like a missing one: its existence does not leak.
    if s is None or (scope is not None and s.agency_id not in scope):
        raise Problem(404, "suggestion_not_found", "建议不存在")
    if s.status != "open":
        raise Problem(409, "suggestion_decided", "该建议已处理")
    return s


@router.post("/{suggestion_id}/adopt", summary="已转为主动公开（负责人、管理员）", description="关联已发布的信息。")
async def adopt(
    suggestion_id: str, body: AdoptIn, uow: UoW, principal: Annotated[Principal, Depends(require(*MANAGERS))]
) -> dict[str, Any]:
    s = await _open(uow, principal, suggestion_id)
    d = await uow.session.get(Document, body.document_id)
    if d is None or d.status != Status.published or d.agency_id != s.agency_id:
        raise Problem(
            422, "document_not_found", "须关联本机关已发布的信息", errors=[{"field": "document_id", "message": "信息不存在或未发布"}]
        )
    s.status, s.document_id, s.decided_by = "adopted", d.id, principal.sub
    return _view(s)


@router.post("/{suggestion_id}/dismiss", summary="不转为主动公开（负责人、管理员），须说明理由")
async def dismiss(
    suggestion_id: str, body: NoteIn, uow: UoW, principal: Annotated[Principal, Depends(require(*MANAGERS))]
) -> dict[str, Any]:
    s = await _open(uow, principal, suggestion_id)
    s.status, s.note, s.decided_by = "dismissed", body.note, principal.sub
    return _view(s)
