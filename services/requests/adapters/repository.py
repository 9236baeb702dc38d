"""Requests queries: repositories own every SQL statement of the service."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.requests.adapters.orm import (
    AccountAlias,
    Answer,
    Attachment,
    Consultation,
    DisclosureRequest,
    HistoryEntry,
    KnownAgency,
    KnownOfficer,
    Remedy,
)
from services.requests.domain.workflow import CLOCK_STOPPED, OPEN_STATES
from shared.db import affected_rows

SORTS: dict[str, tuple[SQLColumnExpression[Any], ...]] = {
    "due_on": (DisclosureRequest.due_on.asc().nulls_last(), DisclosureRequest.id),
    "-due_on": (DisclosureRequest.due_on.desc().nulls_last(), DisclosureRequest.id),
    "submitted_at": (DisclosureRequest.submitted_at.asc(), DisclosureRequest.id),
    "-submitted_at": (DisclosureRequest.submitted_at.desc(), DisclosureRequest.id.desc()),
}


class KnownAgencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agency_id: str) -> KnownAgency | None:
        return await self.session.get(KnownAgency, agency_id)

    async def list(self) -> list[KnownAgency]:
        return list((await self.session.execute(select(KnownAgency).order_by(KnownAgency.name))).scalars())

    def add(self, agency: KnownAgency) -> None:
        self.session.add(agency)


class KnownOfficerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, officer_id: str) -> KnownOfficer | None:
        return await self.session.get(KnownOfficer, officer_id)

    def add(self, officer: KnownOfficer) -> None:
        self.session.add(officer)

    async def active(self) -> list[KnownOfficer]:
        """Officers not disabled (the directory of one county: hundreds, not millions)."""
        rows = await self.session.execute(select(KnownOfficer).where(KnownOfficer.status == "active").order_by(KnownOfficer.name))
        return list(rows.scalars())


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: str) -> DisclosureRequest | None:
        return await self.session.get(DisclosureRequest, request_id)

    async def by_tracking_number(self, number: str) -> list[DisclosureRequest]:
        return list((await self.session.execute(select(DisclosureRequest).where(DisclosureRequest.tracking_number == number))).scalars())

    async def page(self, query: Select, sort: str, page: int, size: int) -> tuple[list[DisclosureRequest], int]:
        total = (await self.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = await self.session.execute(query.order_by(*SORTS[sort]).offset((page - 1) * size).limit(size))
        return list(rows.scalars()), total

    async def reassign_applicant(self, old_sub: str, new_sub: str) -> int:
        """Requests and uploads of account `old_sub` now belong to `new_sub` (two accounts found to be one person)."""
        moved = await self.session.execute(
            update(DisclosureRequest)
            .where(DisclosureRequest.applicant_sub == old_sub)
            .values(applicant_sub=new_sub)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Attachment).where(Attachment.owner_sub == old_sub).values(owner_sub=new_sub).execution_options(synchronize_session=False)
        )
        return affected_rows(moved) or 0

    async def record_alias(self, merged_id: str, into_id: str, at) -> None:
        """Remember a merge; an account merged into one that is later merged itself follows the chain."""
        alias = await self.session.get(AccountAlias, merged_id)
        if alias is None:
            self.session.add(AccountAlias(merged_id=merged_id, into_id=into_id, merged_at=at))
        await self.session.execute(
            update(AccountAlias)
            .where(AccountAlias.into_id == merged_id)
            .values(into_id=into_id)
            .execution_options(synchronize_session=False)
        )

    async def aliases(self) -> dict[str, str]:
        """Every merged account and the account it lives on as (merges are rare: the table is small)."""
        return dict((await self.session.execute(select(AccountAlias.merged_id, AccountAlias.into_id))).all())

    async def alias_of(self, sub: str) -> str | None:
        return (await self.session.execute(select(AccountAlias.into_id).where(AccountAlias.merged_id == sub))).scalar_one_or_none()

    def of_applicant(self, sub: str, state: str | None) -> Select:
        query = select(DisclosureRequest).where(DisclosureRequest.applicant_sub == sub)
        return query.where(DisclosureRequest.state == state) if state else query

    def queue(
        self,
        agencies: set[str] | None,
        *,
        state: str | None,
        assignee: str | None,
        due_by: date | None,
        overdue_on: date | None,
        text: str | None,
        agency_id: str | None,
    ) -> Select:
        """An agency-scoped work queue; `agencies` None means every agency."""
        query = select(DisclosureRequest)
        if agencies is not None:
            query = query.where(DisclosureRequest.agency_id.in_(agencies))
        if agency_id:
            query = query.where(DisclosureRequest.agency_id == agency_id)
        if state:
            query = query.where(DisclosureRequest.state == state)
        if assignee:
            query = query.where(DisclosureRequest.assignee_sub == assignee)
        running = [s.value for s in OPEN_STATES - CLOCK_STOPPED]
        if due_by:
            query = query.where(DisclosureRequest.state.in_(running), DisclosureRequest.due_on <= due_by)
        if overdue_on:
            query = query.where(DisclosureRequest.state.in_(running), DisclosureRequest.due_on < overdue_on)
        if text:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            columns = (
                DisclosureRequest.tracking_number,
                DisclosureRequest.description,
                DisclosureRequest.applicant_name,
                DisclosureRequest.document_number,
            )
            query = query.where(or_(*(column.like(like, escape="\\") for column in columns)))
        return query

    async def history(self, request_id: str) -> list[HistoryEntry]:
        return list(
            (
                await self.session.execute(select(HistoryEntry).where(HistoryEntry.request_id == request_id).order_by(HistoryEntry.id))
            ).scalars()
        )

    async def consultations(self, request_id: str) -> list[Consultation]:
        return list(
            (
                await self.session.execute(select(Consultation).where(Consultation.request_id == request_id).order_by(Consultation.sent_on))
            ).scalars()
        )

    async def answers(self, request_id: str) -> list[Answer]:
        return list(
            (await self.session.execute(select(Answer).where(Answer.request_id == request_id).order_by(Answer.proposed_at))).scalars()
        )

    async def remedies(self, request_id: str) -> list[Remedy]:
        return list((await self.session.execute(select(Remedy).where(Remedy.request_id == request_id).order_by(Remedy.filed_on))).scalars())
