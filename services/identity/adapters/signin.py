"""Queries of the officers' ways in: local credentials, SSO links, login states under way."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import KnownAgency, LocalCredential, OfficerRole, OidcLink, OidcLoginState


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_username(self, username: str) -> LocalCredential | None:
        stmt = select(LocalCredential).where(LocalCredential.username == username).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, account_id: str) -> LocalCredential | None:
        return await self.session.get(LocalCredential, account_id, with_for_update=True)

    async def is_admin(self, account_id: str) -> bool:
        stmt = select(OfficerRole.role).where(OfficerRole.account_id == account_id, OfficerRole.role == "admin").limit(1)
        return (await self.session.execute(stmt)).first() is not None

    def add(self, row: LocalCredential) -> None:
        self.session.add(row)


class OidcRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: OidcLoginState | OidcLink | OfficerRole) -> None:
        self.session.add(row)

    async def state(self, state: str) -> OidcLoginState | None:
        return await self.session.get(OidcLoginState, state, with_for_update=True)

    async def link(self, issuer: str, subject: str) -> OidcLink | None:
        return await self.session.get(OidcLink, (issuer, subject))

    async def links_of(self, account_id: str, issuer: str) -> list[OidcLink]:
        rows = await self.session.execute(select(OidcLink).where(OidcLink.account_id == account_id, OidcLink.issuer == issuer))
        return list(rows.scalars())

    async def remove(self, row: OidcLink) -> None:
        await self.session.delete(row)

    async def known_agency(self, agency_id: str) -> bool:
        return await self.session.get(KnownAgency, agency_id) is not None
