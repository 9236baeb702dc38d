"""Publishing an annual report: the verified tables of a finished year, frozen for the public (Art. 49-50)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import KnownAgency, PublishedReport
from services.audit.adapters.repository import PublishedReports
from services.audit.service.report_render import report_title
from services.audit.service.reports import annual_report, monthly_counts, scope_for
from shared.auth import Principal
from shared.db import new_id, utcnow
from shared.errors import Problem


async def publish(session: AsyncSession, principal: Principal, agency_id: str, year: int, subtree: bool, today: date) -> PublishedReport:
    """Freeze this year's tables as the published report; publishing again (a correction) replaces the text."""
    agencies = await scope_for(session, principal, agency_id, subtree)
    agency = await session.get(KnownAgency, agency_id)
    if agency is None:
        raise Problem(404, "agency_not_found", "机关不存在或不在本机关管辖范围内")
    if year >= today.year:
        # Art. 50: each January the report of the year before; a year still running has no report yet.
        raise Problem(
            409,
            "year_not_over",
            f"{year}年尚未结束，只能发布已结束年度的年度报告",
            errors=[{"field": "year", "message": "只能发布已结束年度的年度报告"}],
        )
    tables = await annual_report(session, agencies, year)  # refuses tables that fail the template's checks
    monthly = await monthly_counts(session, agencies, year)
    repo = PublishedReports(session)
    report = await repo.find(agency_id, year, subtree)
    if report is None:
        report = PublishedReport(id=new_id(), agency_id=agency_id, year=year, subtree=subtree)
        repo.add(report)
    report.agency_name, report.title = agency.name, report_title(agency.name, year, subtree)
    report.tables, report.monthly = json.dumps(tables, ensure_ascii=False), json.dumps(monthly)
    report.published_on, report.published_by, report.published_at = today, principal.sub, utcnow()
    await session.flush()
    return report
