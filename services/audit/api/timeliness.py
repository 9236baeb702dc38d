"""Timeliness statistics (办理时效) and the overdue list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.audit.service.query import local_today
from services.audit.service.reports import scope_for
from services.audit.service.timeliness import overdue_list, timeliness_report
from shared.auth import OFFICER_ROLES, Principal, Role, require
from shared.bounds import BoundedDate
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/timeliness", tags=["办理时效"])
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]
Today = Annotated[BoundedDate | None, Query(description="以此日为“今天”计算逾期（默认北京时间当日）")]


async def _scope(uow: UoW, principal: Principal, agency_id: str | None, subtree: bool) -> set[str] | None:
    if not agency_id and principal.has_any(Role.admin):
        return None  # every agency (an empty agency_id= is no filter, as an absent one)
    root = agency_id or principal.agency_id
    if not root:
        raise Problem(404, "agency_not_found", "机关不存在或不在本机关管辖范围内")
    return await scope_for(uow.session, principal, root, subtree)


@router.get(
    "",
    summary="办理时效统计（本机关及下级的工作人员、政务公开办、系统管理员）",
    description="按机关统计期间内（含起止日）收到、办结、按期办结的申请，当前逾期数，办结所用工作日的平均数和第 90 百分位数，"
    "期间内收到的申请中延期与补正的数量。不指定机关时为本机关（系统管理员为全部机关）。",
)
async def timeliness(
    uow: UoW,
    principal: Officer,
    agency_id: str | None = None,
    subtree: bool = False,
    since: Annotated[BoundedDate | None, Query(description="期间起（含）")] = None,
    until: Annotated[BoundedDate | None, Query(description="期间止（含）")] = None,
    today: Today = None,
) -> dict[str, Any]:
    agencies = await _scope(uow, principal, agency_id, subtree)
    return await timeliness_report(uow.session, agencies, since=since, until=until, today=today or local_today())


@router.get(
    "/overdue",
    summary="当前逾期未答复的申请（本机关及下级的工作人员、政务公开办、系统管理员）",
    description="仍在办理、计时未中止且已过答复期限的申请，含责任机关与承办人，按期限先后排列。",
)
async def overdue(
    uow: UoW, principal: Officer, agency_id: str | None = None, subtree: bool = False, today: Today = None
) -> list[dict[str, Any]]:
    agencies = await _scope(uow, principal, agency_id, subtree)
    return await overdue_list(uow.session, agencies, today=today or local_today())
