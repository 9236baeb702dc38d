"""Identity repositories: every query of the service lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import (
    Account,
    KnownAgency,
    Officer,
    OfficerRole,
    RefreshToken,
    SigningKey,
    WechatIdentity,
)
from shared.trees import descendants


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: str) -> Account | None:
        return await self.session.get(Account, account_id)

    async def by_phone(self, phone: str) -> Account | None:
        return (await self.session.execute(select(Account).where(Account.phone == phone))).scalar_one_or_none()

    async def by_openid(self, openid: str) -> WechatIdentity | None:
        return await self.session.get(WechatIdentity, openid)

    async def wechat_of(self, account_id: str) -> list[WechatIdentity]:
        stmt = select(WechatIdentity).where(WechatIdentity.account_id == account_id).order_by(WechatIdentity.created_at)
        return list((await self.session.execute(stmt)).scalars())

    async def merge(self, merged: Account, into: Account, at: datetime) -> None:
        """`merged` lives on as `into`: its ways in move over, and accounts merged into it earlier point at `into`."""
        merged.status, merged.merged_into, merged.updated_at = "merged", into.id, at
        await self.session.execute(update(WechatIdentity).where(WechatIdentity.account_id == merged.id).values(account_id=into.id))
        await self.session.execute(update(Account).where(Account.merged_into == merged.id).values(merged_into=into.id, updated_at=at))

    def add(self, row: Account | WechatIdentity) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: RefreshToken) -> None:
        self.session.add(row)

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self.session.execute(
            update(RefreshToken).where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None)).values(revoked_at=at)
        )

    async def revoke_account(self, account_id: str, at: datetime) -> None:
        await self.session.execute(
            update(RefreshToken).where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None)).values(revoked_at=at)
        )


class SigningKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def published(self, retired_after: datetime) -> list[SigningKey]:
        """The active keys and those retired after `retired_after`, newest first."""
        stmt = select(SigningKey).where((SigningKey.retired_at.is_(None)) | (SigningKey.retired_at > retired_after))
        return list((await self.session.execute(stmt.order_by(SigningKey.created_at.desc()))).scalars())

    async def retire_active(self, at: datetime) -> None:
        await self.session.execute(update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=at))

    def add(self, row: SigningKey) -> None:
        self.session.add(row)


class OfficerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: str) -> Officer | None:
        return await self.session.get(Officer, account_id)

    async def roles(self, account_id: str) -> list[OfficerRole]:
        stmt = select(OfficerRole).where(OfficerRole.account_id == account_id).order_by(OfficerRole.agency_id, OfficerRole.role)
        return list((await self.session.execute(stmt)).scalars())

    def add(self, row: Officer | OfficerRole) -> None:
        self.session.add(row)

    async def replace_roles(self, account_id: str, memberships: dict[str, list[str]]) -> None:
        await self.session.execute(delete(OfficerRole).where(OfficerRole.account_id == account_id))
        for agency_id, roles in memberships.items():
            for role in roles:
                self.session.add(OfficerRole(account_id=account_id, agency_id=agency_id, role=role))
        await self.session.flush()

    async def page(self, *, agencies: set[str] | None, status: str | None, page: int, page_size: int) -> tuple[list[Officer], int]:
        """Officers holding a role in one of `agencies` (None: all), by name."""
        stmt = select(Officer)
        if agencies is not None:
            stmt = stmt.where(Officer.account_id.in_(select(OfficerRole.account_id).where(OfficerRole.agency_id.in_(agencies))))
        if status:
            stmt = stmt.where(Officer.status == status)
        total = (await self.session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
        rows = await self.session.execute(stmt.order_by(Officer.name, Officer.account_id).offset((page - 1) * page_size).limit(page_size))
        return list(rows.scalars()), total


class KnownAgencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agency_id: str) -> KnownAgency | None:
        return await self.session.get(KnownAgency, agency_id)

    def add(self, row: KnownAgency) -> None:
        self.session.add(row)

    async def subtree(self, root: str) -> set[str]:
        """`root` and every agency below it."""
        pairs = (await self.session.execute(select(KnownAgency.id, KnownAgency.parent_id))).all()
        return descendants(((a, p) for a, p in pairs), root)
