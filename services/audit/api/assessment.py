"""The 百分制 assessment of an agency (or its subtree) for a year."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from services.audit.domain.assessment import assess
from services.audit.service.assessment import agency_stats
from services.audit.service.reports import scope_for
from shared.auth import OFFICER_ROLES, Principal, require
from shared.service import UoW

router = APIRouter(prefix="/assessment", tags=["考核"])
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]


@router.get(
    "",
    summary="机关政务公开百分制考核（本机关及下级的工作人员、政务公开办、系统管理员）",
    description="由按时答复、逾期未答复、被纠错和主动公开及时性计分，给出等次（优秀≥95，良好85–94，合格60–84，不合格<60）和扣分项。",
)
async def assessment(
    uow: UoW, principal: Officer, agency_id: str, year: Annotated[int, Query(ge=2008, le=2100)], subtree: bool = False
) -> dict[str, Any]:
    agencies = await scope_for(uow.session, principal, agency_id, subtree)
    stats = await agency_stats(uow.session, agencies, year, datetime.now(ZoneInfo("Asia/Shanghai")).date())
    result = assess(stats)
    return {
        "agency_id": agency_id,
        "year": year,
        "subtree": subtree,
        "score": result.score,
        "grade": result.grade,
        "items": [
            {"key": i.key, "label": i.label, "max_points": i.max_points, "points": i.points, "lost": i.lost, "reason": i.reason}
            for i in result.items
        ],
        "statistics": stats.__dict__,
    }
