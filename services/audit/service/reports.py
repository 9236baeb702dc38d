"""Annual report and scope queries over the projections."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import DocumentFact, KnownAgency, RemedyFact, RequestFact
from services.audit.domain.annual_report import AnnualTables, DocumentRecord, Fact, RemedyRecord, ReportCheckFailed, annual_tables
from shared.auth import Principal, Role
from shared.errors import Problem
from shared.trees import descendants

DISCLOSURE = "disclosure"  # request_facts.kind of a 政府信息公开申请 (the other: record_correction, Art. 41)


class AnnualReport(AnnualTables):
    """The verified tables plus what part 六 and the office need besides them."""

    record_corrections: dict[str, int]
    fees: dict[str, int]


async def subtree(session: AsyncSession, root: str) -> set[str]:
    return descendants((await session.execute(select(KnownAgency.id, KnownAgency.parent_id))).all(), root)


async def scope_for(session: AsyncSession, principal: Principal, agency_id: str, include_subtree: bool) -> set[str]:
    """The agencies a report covers, refused when the caller may not see them."""
    if not principal.has_any(Role.admin):
        allowed = await subtree(session, principal.agency_id) if principal.agency_id else set()
        if agency_id not in allowed:
            raise Problem(404, "agency_not_found", "机关不存在或不在本机关管辖范围内")
    return await subtree(session, agency_id) if include_subtree else {agency_id}


async def annual_report(session: AsyncSession, agencies: set[str], year: int) -> AnnualReport:
    # Plain column tuples, not ORM objects: a county's year is ~10^5 rows.
    facts = await session.execute(
        select(
            RequestFact.applicant_type,
            RequestFact.organisation_type,
            RequestFact.received_on,
            RequestFact.finished_on,
            RequestFact.outcome_category,
            RequestFact.outcome_reason,
        ).where(RequestFact.agency_id.in_(agencies), RequestFact.kind == DISCLOSURE)
    )
    remedies = await session.execute(
        select(RemedyFact.kind, RemedyFact.filed_on, RemedyFact.outcome, RemedyFact.decided_on).where(RemedyFact.agency_id.in_(agencies))
    )
    documents = await session.execute(
        select(
            DocumentFact.category,
            DocumentFact.made_on,
            DocumentFact.ended,
            DocumentFact.ended_on,
            DocumentFact.decision_count,
            DocumentFact.fee_amount_yuan,
        ).where(DocumentFact.agency_id.in_(agencies), DocumentFact.withdrawn.is_(False))
    )
    try:
        tables = annual_tables(
            (Fact(*row) for row in facts), (RemedyRecord(*row) for row in remedies), year, (DocumentRecord(*row) for row in documents)
        )
    except ReportCheckFailed as exc:
        # Never hand out a table that contradicts itself: say which checks failed.
        raise Problem(500, "report_check_failed", "年度报告表格未通过校验，请联系管理员", failures=exc.failures) from exc
    return {
        **tables,
        "record_corrections": await record_corrections(session, agencies, year),
        "fees": await fees_collected(session, agencies, year),
    }


async def fees_collected(session: AsyncSession, agencies: set[str], year: int) -> dict[str, int]:
    """信息处理费 paid in the year (by the day paid), for part 六 (其他需要报告的事项)."""
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(RequestFact.fee_paid_yuan), 0)).where(
                RequestFact.agency_id.in_(agencies), RequestFact.fee_paid_on.between(date(year, 1, 1), date(year, 12, 31))
            )
        )
    ).one()
    return {"payments": row[0], "total_yuan": int(row[1] or 0)}  # coalesce: never None; the `or` tells the type checker


async def record_corrections(session: AsyncSession, agencies: set[str], year: int) -> dict[str, int]:
    """Art. 41 requests to correct one's own records: outside table 三, counted here for the office."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = (
        await session.execute(
            select(RequestFact.received_on, RequestFact.finished_on).where(
                RequestFact.agency_id.in_(agencies), RequestFact.kind != DISCLOSURE
            )
        )
    ).all()
    return {
        "received": sum(1 for r, _ in rows if r is not None and start <= r <= end),
        "finished": sum(1 for _, f in rows if f is not None and start <= f <= end),
    }


async def monthly_counts(session: AsyncSession, agencies: set[str], year: int) -> dict[str, list[int]]:
    """Requests received and answered (first answer or closure) in each month of the year, for the report's chart."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = (
        await session.execute(
            select(RequestFact.received_on, RequestFact.finished_on).where(
                RequestFact.agency_id.in_(agencies),
                RequestFact.kind == DISCLOSURE,
                or_(RequestFact.received_on.between(start, end), RequestFact.finished_on.between(start, end)),
            )
        )
    ).all()
    received, answered = [0] * 12, [0] * 12
    for received_on, finished_on in rows:
        if received_on is not None and start <= received_on <= end:
            received[received_on.month - 1] += 1
        if finished_on is not None and start <= finished_on <= end:
            answered[finished_on.month - 1] += 1
    return {"received": received, "answered": answered}
