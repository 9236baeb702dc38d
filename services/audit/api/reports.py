"""The annual report (政府信息公开工作年度报告) tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.audit.adapters.orm import KnownAgency, PublishedReport
from services.audit.adapters.repository import PublishedReports
from services.audit.domain.annual_report import COLUMN_LABELS, COLUMNS, REMEDY_COLUMNS, REMEDY_GROUPS, ROWS
from services.audit.service.published import publish
from services.audit.service.query import local_today
from services.audit.service.report_render import TABLE_TWO_TITLE, as_html, as_xlsx, report_title, table_two_blocks
from services.audit.service.reports import annual_report, monthly_counts, scope_for
from shared.auth import OFFICER_ROLES, Principal, Role, require
from shared.errors import Problem
from shared.filetypes import download_headers
from shared.service import UoW

router = APIRouter(prefix="/reports", tags=["年度报告"])
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]
Publisher = Annotated[Principal, Depends(require(Role.head, Role.supervisor, Role.admin))]


def labelled(tables: Mapping[str, Any]) -> dict[str, Any]:
    """The tables with the template's row and column labels, in its order."""
    return {
        "two": [{"header": header, "rows": rows} for header, rows in table_two_blocks(tables["two"])],
        "three": {
            "columns": [{"key": c, "label": COLUMN_LABELS[c]} for c in COLUMNS],
            "rows": [{"key": key, "label": label, "values": tables["three"][key]} for key, label in ROWS],
        },
        "four": {
            "columns": [{"key": c, "label": label} for c, label in REMEDY_COLUMNS],
            "rows": [{"key": kind, "label": label, "values": tables["four"][kind]} for kind, label in REMEDY_GROUPS],
        },
    }


def as_csv(tables: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([TABLE_TWO_TITLE])
    for header, rows in table_two_blocks(tables["two"]):
        writer.writerow(header)
        writer.writerows(rows)
    writer.writerow([])
    writer.writerow(["三、收到和处理政府信息公开申请情况"])
    writer.writerow(["", *(COLUMN_LABELS[c] for c in COLUMNS)])
    for key, label in ROWS:
        writer.writerow([label, *(tables["three"][key][c] for c in COLUMNS)])
    writer.writerow([])
    writer.writerow(["四、政府信息公开行政复议、行政诉讼情况"])
    writer.writerow(["", *(label for _, label in REMEDY_COLUMNS)])
    for kind, label in REMEDY_GROUPS:
        writer.writerow([label, *(tables["four"][kind][c] for c, _ in REMEDY_COLUMNS)])
    return out.getvalue()


@router.get(
    "/annual",
    summary="政府信息公开工作年度报告表格（本机关及下级的工作人员、政务公开办、系统管理员）",
    description="按事件计算表三、表四，输出前校验模板要求的全部勾稽关系；校验失败返回错误而不是错误的表格。"
    "format=csv|xlsx 按官方表样导出；format=html 生成可直接发布的独立网页（含每月收到、办结申请柱状图）。",
)
async def annual(
    uow: UoW,
    principal: Officer,
    year: Annotated[int, Query(ge=2008, le=2100)],
    agency_id: str,
    subtree: bool = False,
    format: Literal["json", "csv", "xlsx", "html"] = "json",
) -> Any:
    agencies = await scope_for(uow.session, principal, agency_id, subtree)
    tables = await annual_report(uow.session, agencies, year)
    if format == "csv":
        return Response(
            ("\ufeff" + as_csv(tables)).encode(),
            media_type="text/csv; charset=utf-8",
            headers=download_headers(f"annual-report-{year}.csv"),
        )
    agency = await uow.session.get(KnownAgency, agency_id)
    title = report_title(agency.name if agency else None, year, subtree)
    if format == "xlsx":
        return Response(
            as_xlsx(tables, title),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=download_headers(f"annual-report-{year}.xlsx"),
        )
    if format == "html":
        page = as_html(tables, title, year, await monthly_counts(uow.session, agencies, year))
        return Response(page, media_type="text/html; charset=utf-8", headers={"X-Content-Type-Options": "nosniff"})
    return {
        "year": year,
        "agency_id": agency_id,
        "agency_name": agency.name if agency else None,
        "subtree": subtree,
        "agencies": sorted(agencies),
        "tables": labelled(tables),
        "checks": "passed",
        # Art. 41 corrections of one's own records: not 政府信息公开申请, so outside table 三; counted for the office.
        "record_corrections": tables["record_corrections"],
        # Part 六 (其他需要报告的事项): 信息处理费 collected in the year.
        "fees": tables["fees"],
    }


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2008, le=2100, description="报告年度（已结束的年度）")
    agency_id: str = Field(min_length=1, max_length=36, description="机关")
    subtree: bool = Field(False, description="含下级机关（县政府的汇总报告）")


def published_view(report: PublishedReport, *, tables: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": report.id,
        "agency_id": report.agency_id,
        "agency_name": report.agency_name,
        "year": report.year,
        "subtree": report.subtree,
        "title": report.title,
        "published_on": report.published_on,
    }
    if tables:
        view |= {"tables": labelled(json.loads(report.tables)), "monthly": json.loads(report.monthly)}
    return view


@router.post(
    "/annual/published",
    summary="发布年度报告（负责人、政务公开办、系统管理员；本机关及下级）",
    description="把已结束年度的、通过全部勾稽关系校验的表格固定下来向社会公布（第四十九条、第五十条）；"
    "同一机关同一年度再次发布即为更正，替换原文。未结束的年度返回 409。",
)
async def publish_report(body: PublishIn, uow: UoW, principal: Publisher) -> dict[str, Any]:
    report = await publish(uow.session, principal, body.agency_id, body.year, body.subtree, local_today())
    return published_view(report, tables=True)


@router.get("/published", summary="已发布的年度报告（公开）", description="按年度倒序；可按机关、年度筛选。只列已发布的报告。")
async def list_published(
    uow: UoW, agency_id: Annotated[str | None, Query(max_length=36)] = None, year: Annotated[int | None, Query(ge=2008, le=2100)] = None
) -> list[dict[str, Any]]:
    return [published_view(r) for r in await PublishedReports(uow.session).list(agency_id=agency_id, year=year)]


@router.get(
    "/published/{report_id}",
    summary="已发布的年度报告全文与下载（公开）",
    description="format=json 表格；html 可直接发布的独立网页；csv、xlsx 按官方表样。",
)
async def read_published(report_id: str, uow: UoW, format: Literal["json", "csv", "xlsx", "html"] = "json") -> Any:
    report = await PublishedReports(uow.session).get(report_id)
    if report is None:
        raise Problem(404, "report_not_found", "年度报告不存在或尚未发布")
    tables = json.loads(report.tables)
    if format == "csv":
        return Response(
            ("\ufeff" + as_csv(tables)).encode(), media_type="text/csv; charset=utf-8", headers=download_headers(f"{report.title}.csv")
        )
    if format == "xlsx":
        return Response(
            as_xlsx(tables, report.title),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=download_headers(f"{report.title}.xlsx"),
        )
    if format == "html":
        page = as_html(tables, report.title, report.year, json.loads(report.monthly), generated_on=report.published_on.isoformat())
        return Response(page, media_type="text/html; charset=utf-8", headers=download_headers(f"{report.title}.html"))
    return published_view(report, tables=True)
