"""Audit queries."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, text
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

    async def search(self, criteria: "EntryCriteria", *, after_seq: int = 0, limit: int = 100) -> list[AuditEntry]:
        """Entries matching `criteria`, in `seq` order, after the `after_seq` cursor."""
        query = criteria.apply(select(AuditEntry)).where(AuditEntry.seq > after_seq)
        return list((await self.session.execute(query.order_by(AuditEntry.seq).limit(limit))).scalars())


@dataclass(frozen=True)
class EntryCriteria:
    """A search of the log; `agencies` None means every agency (and entries without one)."""

    agencies: frozenset[str] | None = None
    aggregate_id: str | None = None
    actor_sub: str | None = None
    event_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select) -> Select:
        if self.agencies is not None:
            query = query.where(AuditEntry.agency_id.in_(sorted(self.agencies)))
        if self.aggregate_id:
            query = query.where(AuditEntry.aggregate_id == self.aggregate_id)
        if self.actor_sub:
            query = query.where(AuditEntry.actor_sub == self.actor_sub)
        if self.event_type:
            query = query.where(AuditEntry.event_type == self.event_type)
        if self.since:
            query = query.where(AuditEntry.occurred_at >= self.since)
        if self.until:
            query = query.where(AuditEntry.occurred_at < self.until)
        return query
