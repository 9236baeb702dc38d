"""The working-day calendar: public to read, admins correct it and set rule sets per agency."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from services.requests.adapters.orm import CalendarOverride, CalendarYear, KnownAgency
from services.requests.api.deps import today
from services.requests.service.deadlines import forget_calendar, load_calendar, refresh_due_dates_around
from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW
from shared.workdays import DayKind, next_year_warning

router = APIRouter(tags=["工作日历"])
Admin = Annotated[Principal, Depends(require(Role.admin))]
Year = Annotated[int, Path(ge=2004, le=2100)]


@router.get(
    "/calendar/{year}",
    summary="某年的工作日历（公开）",
    description="列出该年的法定节假日与调休上班日，并说明来源：official（国务院公布）、admin（管理员录入）或 "
    "weekends_only（尚未公布，仅按周末计算，期限为暂定）。",
)
async def calendar_year(year: Year, uow: UoW) -> dict[str, Any]:
    calendar = await load_calendar(uow.session)
    day, special = date(year, 1, 1), []
    while day.year == year:
        kind, note = calendar.kind(day)
        if kind in (DayKind.holiday, DayKind.adjusted_workday) or (kind == DayKind.workday and day.weekday() >= 5):
            special.append({"day": day, "kind": kind.value, "note": note})
        day += timedelta(days=1)
    source = calendar.source_of(year)
    warning = "该年度放假安排尚未公布，暂按周末计算，相关期限为暂定。" if source.value == "weekends_only" else None
    return {"year": year, "source": source.value, "warning": warning, "special_days": special}


@router.get(
    "/calendar-notice",
    summary="下一年度放假安排是否已录入（公开）",
    description="每年 11 月 1 日起，若下一年度放假安排既不在官方数据中、也未由管理员录入并确认，返回提醒文字；否则 warning 为 null。",
)
async def calendar_notice(uow: UoW, request: Request) -> dict[str, Any]:
    day = today(request)
    calendar = await load_calendar(uow.session)
    return {
        "today": day,
        "next_year": day.year + 1,
        "source": calendar.source_of(day.year + 1).value,
        "warning": next_year_warning(calendar, day),
    }


class OverrideIn(BaseModel):
    workday: bool = Field(description="true：该日上班（含调休）；false：该日放假")
    note: str = Field(default="", max_length=100, description="如 春节、国庆节调休")


@router.put("/calendar/days/{day}", summary="更正某一日是否上班（系统管理员）")
async def set_day(day: date, body: OverrideIn, uow: UoW, principal: Admin, request: Request) -> dict[str, Any]:
    existing = await uow.session.get(CalendarOverride, day)
    if existing is None:
        uow.session.add(CalendarOverride(day=day, workday=body.workday, note=body.note, set_by=principal.sub))
    else:
        existing.workday, existing.note, existing.set_by = body.workday, body.note, principal.sub
    await uow.session.flush()
    forget_calendar(uow.session)
    await refresh_due_dates_around(uow.session, day, today(request))
    return {"day": day, "workday": body.workday, "note": body.note}


@router.delete("/calendar/days/{day}", status_code=204, summary="撤销对某一日的更正（系统管理员）")
async def clear_day(day: date, uow: UoW, principal: Admin, request: Request) -> None:
    existing = await uow.session.get(CalendarOverride, day)
    if existing is None:
        raise Problem(404, "override_not_found", "该日没有更正记录")
    await uow.session.delete(existing)
    await uow.session.flush()
    forget_calendar(uow.session)
    await refresh_due_dates_around(uow.session, day, today(request))


@router.post("/calendar/years/{year}/announce", summary="确认某年放假安排已全部录入（系统管理员）")
async def announce_year(year: Year, uow: UoW, principal: Admin) -> dict[str, Any]:
    if await uow.session.get(CalendarYear, year) is None:
        uow.session.add(CalendarYear(year=year, announced_by=principal.sub))
        await uow.session.flush()
        forget_calendar(uow.session)
    return {"year": year, "source": "admin"}


class RuleSetIn(BaseModel):
    rule_set: Literal["2019", "2008"] | None = Field(description="2019：20+20 个工作日；2008：15+15；null 随部署默认")


@router.put(
    "/agencies/{agency_id}/rule-set",
    summary="设置机关适用的条例版本（系统管理员）",
    description="只影响此后收到的申请；已受理的申请按受理时的规则计算。",
)
async def set_rule_set(agency_id: str, body: RuleSetIn, uow: UoW, principal: Admin) -> dict[str, Any]:
    agency = await uow.session.get(KnownAgency, agency_id)
    if agency is None:
        raise Problem(404, "agency_not_found", "机关不存在")
    agency.rule_set = body.rule_set
    return {"agency_id": agency_id, "rule_set": body.rule_set}
