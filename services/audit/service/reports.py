"""Annual report and scope queries over the projections."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role
from shared.errors import Problem
from shared.trees import descendants

from services.audit.adapters.orm import KnownAgency, RemedyFact, RequestFact
from services.audit.domain.annual_report import Fact, ReportCheckFailed, RemedyRecord, annual_tables


async def subtree(session: AsyncSession, root: str) -> set[str]:
    return descendants((await session.execute(select(KnownAgency.id, KnownAgency.parent_id))).all(), root)


async def scope_for(session: AsyncSession, principal: Principal, agency_id: str, include_subtree: bool) -> set[str]:
    """The agencies a report covers, refused when the caller may not see them."""
    if not principal.has_any(Role.admin):
        allowed = await subtree(session, principal.agency_id) if principal.agency_id else set()
        if agency_id not in allowed:
            raise Problem(404, "agency_not_found", "机关不存在或不在本机关管辖范围内")
    return await subtree(session, agency_id) if include_subtree else {agency_id}


async def annual_report(session: AsyncSession, agencies: set[str], year: int) -> dict:
    facts = (await session.execute(select(RequestFact).where(RequestFact.agency_id.in_(agencies)))).scalars()
    remedies = (await session.execute(select(RemedyFact).where(RemedyFact.agency_id.in_(agencies)))).scalars()
    try:
        return annual_tables(
            (Fact(f.applicant_type, f.organisation_type, f.received_on, f.finished_on, f.outcome_category, f.outcome_reason) for f in facts),
            (RemedyRecord(r.kind, r.filed_on, r.outcome, r.decided_on) for r in remedies), year)
    except ReportCheckFailed as exc:
        # Never hand out a table that contradicts itself: say which checks failed.
        raise Problem(500, "report_check_failed", "年度报告表格未通过校验，请联系管理员", failures=exc.failures) from exc
