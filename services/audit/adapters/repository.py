"""Audit queries."""

from __future__ import annotations

import zlib
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import AuditEntry
from services.audit.domain.chain import GENESIS

_CHAIN_LOCK = zlib.crc32(b"audit_entries.chain")


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def last_hash(self) -> str:
        """The head of the chain, holding the append lock until the transaction ends."""
        if self.session.bind.dialect.name == "postgresql":
            # Serialises appenders across replicas; READ COMMITTED then sees the latest head.
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
        head = await self.session.execute(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))
        return head.scalar_one_or_none() or GENESIS

    def append(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def search(self, *, event_type: str | None, aggregate_id: str | None, agency_id: str | None,
                     since: datetime | None, until: datetime | None, after_seq: int, limit: int) -> list[AuditEntry]:
        query = select(AuditEntry).where(AuditEntry.seq > after_seq)
        if event_type:
            query = query.where(AuditEntry.event_type == event_type)
        if aggregate_id:
            query = query.where(AuditEntry.aggregate_id == aggregate_id)
        if agency_id:
            query = query.where(AuditEntry.agency_id == agency_id)
        if since:
            query = query.where(AuditEntry.occurred_at >= since)
        if until:
            query = query.where(AuditEntry.occurred_at < until)
        return list((await self.session.execute(query.order_by(AuditEntry.seq).limit(limit))).scalars())
