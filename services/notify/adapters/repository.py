"""Notify queries."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import InboxMessage, RecipientPreference


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_recipient(self, sub: str, *, unread_only: bool, limit: int) -> list[InboxMessage]:
        query = select(InboxMessage).where(InboxMessage.recipient_kind == "user", InboxMessage.recipient_sub == sub)
        if unread_only:
            query = query.where(InboxMessage.read_at.is_(None))
        return list((await self.session.execute(query.order_by(InboxMessage.created_at.desc()).limit(limit))).scalars())

    async def reassign(self, old_sub: str, new_sub: str) -> None:
        await self.session.execute(
            update(InboxMessage)
            .where(InboxMessage.recipient_sub == old_sub)
            .values(recipient_sub=new_sub)
            .execution_options(synchronize_session=False)
        )


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, sub: str) -> RecipientPreference | None:
        return await self.session.get(RecipientPreference, sub)

    def add(self, row: RecipientPreference) -> None:
        self.session.add(row)

    async def delete(self, row: RecipientPreference) -> None:
        await self.session.delete(row)
