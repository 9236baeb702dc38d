"""Catalog queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.adapters.orm import Agency, Document
from services.catalog.domain.documents import Status
from services.catalog.domain.taxonomy import INTERPRETATION


class AgencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agency_id: str) -> Agency | None:
        return await self.session.get(Agency, agency_id)

    async def by_name_or_code(self, name: str, credit_code: str | None) -> Agency | None:
        query = select(Agency).where(Agency.name == name)
        if credit_code:
            query = select(Agency).where((Agency.name == name) | (Agency.credit_code == credit_code))
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()

    async def by_code(self, credit_code: str) -> Agency | None:
        return (await self.session.execute(select(Agency).where(Agency.credit_code == credit_code))).scalar_one_or_none()

    async def list(self) -> list[Agency]:
        return list((await self.session.execute(select(Agency).order_by(Agency.created_at, Agency.id))).scalars())

    def add(self, agency: Agency) -> None:
        self.session.add(agency)


async def doc_number_holder(session: AsyncSession, agency_id: str, key: str, *, other_than: str | None) -> Document | None:
    """The live document of this agency (not withdrawn, not a 政策解读) that already carries this canonical 文号."""
    query = select(Document).where(
        Document.agency_id == agency_id,
        Document.doc_number_key == key,
        Document.status != Status.withdrawn.value,
        Document.category_code != INTERPRETATION,
    )
    if other_than is not None:
        query = query.where(Document.id != other_than)
    return (await session.execute(query.order_by(Document.created_at).limit(1))).scalar_one_or_none()
