"""Keeps the replica of the catalog's agencies current."""

from __future__ import annotations

from services.requests.adapters.orm import KnownAgency
from services.requests.adapters.repository import KnownAgencyRepository
from shared.contracts.catalog import AgencyRegistered
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork


async def on_agency_registered(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Insert a new agency or apply its changes (AgencyUpdated carries the whole state); once per event."""
    event = AgencyRegistered.model_validate(envelope.payload)
    repo = KnownAgencyRepository(uow.session)
    agency = await repo.get(event.agency_id)
    if agency is None:
        repo.add(
            KnownAgency(
                id=event.agency_id,
                name=event.name,
                kind=event.kind,
                parent_id=event.parent_id,
                replicated_at=utcnow(),
                source_event_id=envelope.event_id,
            )
        )
    else:
        agency.name, agency.kind, agency.parent_id = event.name, event.kind, event.parent_id
        agency.replicated_at, agency.source_event_id = utcnow(), envelope.event_id
