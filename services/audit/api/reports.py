"""The annual report (政府信息公开工作年度报告) tables."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from shared.auth import OFFICER_ROLES, Principal, require
from shared.filetypes import download_headers
from shared.service import UoW

from services.audit.adapters.orm import KnownAgency
from services.audit.domain.annual_report import COLUMN_LABELS, COLUMNS, REMEDY_COLUMNS, REMEDY_GROUPS, ROWS
from services.audit.service.report_render import TABLE_TWO_TITLE, as_html, as_xlsx, report_title, table_two_blocks
from services.audit.service.reports import annual_report, monthly_counts, scope_for

router = APIRouter(prefix="/reports", tags=["年度报告"])
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]


def labelled(tables: dict) -> dict[str, Any]:
    """The tables with the template's row and column labels, in its order."""
    return {
        "two": [{"header": header, "rows": rows} for header, rows in table_two_blocks(tables["two"])],
        "three": {"columns": [{"key": c, "label": COLUMN_LABELS[c]} for c in COLUMNS],
                  "rows": [{"key": key, "label": label, "values": tables["three"][key]} for key, label in ROWS]},
        "four": {"columns": [{"key": c, "label": label} for c, label in REMEDY_COLUMNS],
                 "rows": [{"key": kind, "label": label, "values": tables["four"][kind]} for kind, label in REMEDY_GROUPS]},
    }


def as_csv(tables: dict) -> str:
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


@router.get("/annual", summary="政府信息公开工作年度报告表格（本机关及下级的工作人员、政务公开办、系统管理员）",
            description="按事件计算表三、表四，输出前校验模板要求的全部勾稽关系；校验失败返回错误而不是错误的表格。"
                        "format=csv|xlsx 按官方表样导出；format=html 生成可直接发布的独立网页（含每月收到、办结申请柱状图）。")
async def annual(uow: UoW, principal: Officer, year: Annotated[int, Query(ge=2008, le=2100)], agency_id: str,
                 subtree: bool = False, format: Literal["json", "csv", "xlsx", "html"] = "json") -> Any:
    agencies = await scope_for(uow.session, principal, agency_id, subtree)
    tables = await annual_report(uow.session, agencies, year)
    if format == "csv":
        return Response(("\ufeff" + as_csv(tables)).encode(), media_type="text/csv; charset=utf-8",
                        headers=download_headers(f"annual-report-{year}.csv"))
    agency = await uow.session.get(KnownAgency, agency_id)
    title = report_title(agency.name if agency else None, year, subtree)
    if format == "xlsx":
        return Response(as_xlsx(tables, title), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers=download_headers(f"annual-report-{year}.xlsx"))
    if format == "html":
        page = as_html(tables, title, year, await monthly_counts(uow.session, agencies, year))
        return Response(page, media_type="text/html; charset=utf-8", headers={"X-Content-Type-Options": "nosniff"})
    return {"year": year, "agency_id": agency_id, "agency_name": agency.name if agency else None, "subtree": subtree,
            "agencies": sorted(agencies), "tables": labelled(tables), "checks": "passed",
            # Art. 41 corrections of one's own records: not 政府信息公开申请, so outside table 三; counted for the office.
            "record_corrections": tables["record_corrections"],
            # Part 六 (其他需要报告的事项): 信息处理费 collected in the year.
            "fees": tables["fees"]}
