"""Audit queries."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import AuditEntry, PublishedReport, SubjectKey
from services.audit.domain.chain import GENESIS

_CHAIN_LOCK = zlib.crc32(b"audit_entries.chain")


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def last_hash(self) -> str:
        """The head of the chain, holding the append lock until the transaction ends."""
        if self.session.get_bind().dialect.name == "postgresql":
            # Serialises appenders across replicas; READ COMMITTED then sees the latest head.
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
        head = await self.session.execute(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))
        return head.scalar_one_or_none() or GENESIS

    def append(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    async def search(self, criteria: EntryCriteria, *, after_seq: int = 0, limit: int = 100) -> list[AuditEntry]:
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


class SubjectKeys:
    """The per-subject keys: created on first need, read in batches, erased for good."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, subject_id: str) -> SubjectKey | None:
        return await self.session.get(SubjectKey, subject_id)

    async def add(self, row: SubjectKey) -> SubjectKey:
        """Insert a new key, or return the one another writer stored first."""
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            existing = await self.get(row.subject_id)
            assert existing is not None
            return existing
        return row

    async def many(self, subject_ids: set[str]) -> dict[str, SubjectKey]:
        if not subject_ids:
            return {}
        rows = await self.session.execute(select(SubjectKey).where(SubjectKey.subject_id.in_(subject_ids)))
        return {row.subject_id: row for row in rows.scalars()}

    async def held_for(self, *, applicant_sub: str | None = None, subject_id: str | None = None) -> list[SubjectKey]:
        """Keys not yet erased, of one applicant's requests or of one subject."""
        query = select(SubjectKey).where(SubjectKey.sealed_key.is_not(None))
        if applicant_sub is not None:
            query = query.where(SubjectKey.applicant_sub == applicant_sub)
        if subject_id is not None:
            query = query.where(SubjectKey.subject_id == subject_id)
        return list((await self.session.execute(query.with_for_update())).scalars())


class PublishedReports:
    """The annual reports agencies have published (the only reports the public reads)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, report_id: str) -> PublishedReport | None:
        return await self.session.get(PublishedReport, report_id)

    async def find(self, agency_id: str, year: int, subtree: bool) -> PublishedReport | None:
        return (
            await self.session.execute(
                select(PublishedReport).where(
                    PublishedReport.agency_id == agency_id, PublishedReport.year == year, PublishedReport.subtree.is_(subtree)
                )
            )
        ).scalar_one_or_none()

    async def list(self, *, agency_id: str | None = None, year: int | None = None) -> list[PublishedReport]:
        query = select(PublishedReport)
        if agency_id:
            query = query.where(PublishedReport.agency_id == agency_id)
        if year:
            query = query.where(PublishedReport.year == year)
        order = (PublishedReport.year.desc(), PublishedReport.subtree.desc(), PublishedReport.agency_name, PublishedReport.id)
        return list((await self.session.execute(query.order_by(*order))).scalars())

    def add(self, report: PublishedReport) -> None:
        self.session.add(report)
