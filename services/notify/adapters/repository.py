"""Notify queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import InboxMessage


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_recipient(self, sub: str, *, unread_only: bool, limit: int) -> list[InboxMessage]:
        query = select(InboxMessage).where(InboxMessage.recipient_kind == "user", InboxMessage.recipient_sub == sub)
        if unread_only:
            query = query.where(InboxMessage.read_at.is_(None))
        return list((await self.session.execute(query.order_by(InboxMessage.created_at.desc()).limit(limit))).scalars())
