"""Keeps the replica of the identity service's officer directory current (who may be assigned work)."""

from __future__ import annotations

from services.requests.adapters.orm import KnownOfficer
from services.requests.adapters.repository import KnownOfficerRepository
from shared.contracts.identity import OfficerChanged
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork


async def on_officer_changed(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """OfficerChanged carries the whole entry: keep the newest version, ignore older (late or replayed) ones."""
    event = OfficerChanged.model_validate(envelope.payload)
    memberships = [m.model_dump() for m in event.memberships]
    repo = KnownOfficerRepository(uow.session)
    officer = await repo.get(event.officer_id)
    if officer is None:
        repo.add(
            KnownOfficer(
                id=event.officer_id,
                name=event.name,
                status=event.status,
                memberships=memberships,
                version=event.version,
                replicated_at=utcnow(),
            )
        )
    elif event.version >= officer.version:
        officer.name, officer.status, officer.memberships = event.name, event.status, memberships
        officer.version, officer.replicated_at = event.version, utcnow()
