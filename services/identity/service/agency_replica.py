"""Keeps the replica of the catalog's agency tree current (where roles may be granted)."""

from __future__ import annotations

from services.identity.adapters.orm import KnownAgency
from services.identity.adapters.repository import KnownAgencyRepository
from shared.contracts.catalog import AgencyRegistered
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork


async def on_agency_event(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """AgencyRegistered / AgencyUpdated carry the whole state: insert or overwrite."""
    event = AgencyRegistered.model_validate(envelope.payload)
    repo = KnownAgencyRepository(uow.session)
    agency = await repo.get(event.agency_id)
    if agency is None:
        repo.add(KnownAgency(id=event.agency_id, name=event.name, parent_id=event.parent_id, replicated_at=utcnow()))
    else:
        agency.name, agency.parent_id, agency.replicated_at = event.name, event.parent_id, utcnow()
