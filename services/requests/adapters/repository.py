"""Requests queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.requests.adapters.orm import KnownAgency


class KnownAgencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agency_id: str) -> KnownAgency | None:
        return await self.session.get(KnownAgency, agency_id)

    async def list(self) -> list[KnownAgency]:
        return list((await self.session.execute(select(KnownAgency).order_by(KnownAgency.name))).scalars())

    def add(self, agency: KnownAgency) -> None:
        self.session.add(agency)
