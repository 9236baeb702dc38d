"""Verifying the stored chain: streamed in `seq` order, one batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.orm import AuditEntry
from services.audit.domain.chain import CHECKED_COLUMNS, BrokenLink, ChainVerifier

_READ = [
    AuditEntry.seq,
    AuditEntry.envelope,
    AuditEntry.prev_hash,
    AuditEntry.hash,
    *(getattr(AuditEntry, column) for column in CHECKED_COLUMNS),
]


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_hash: str  # the last verified hash: anchor it elsewhere to detect truncation of the tail
    first_broken: BrokenLink | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_hash": self.head_hash,
            "first_broken": self.first_broken.as_dict() if self.first_broken else None,
        }


async def verify_log(session: AsyncSession, *, batch_size: int = 1000) -> Verification:
    """Recompute the whole chain from the database; stops at the first broken link."""
    verifier, after = ChainVerifier(), None
    while True:
        query = select(*_READ).order_by(AuditEntry.seq).limit(batch_size)
        if after is not None:
            query = query.where(AuditEntry.seq > after)
        rows = (await session.execute(query)).all()
        for row in rows:
            if (broken := verifier.feed(row)) is not None:
                return Verification(False, verifier.checked, verifier.head, broken)
        if len(rows) < batch_size:
            return Verification(True, verifier.checked, verifier.head, None)
        after = rows[-1].seq
