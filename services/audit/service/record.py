"""Records every event of every service in the chained log."""

from __future__ import annotations

from services.audit.adapters.orm import AuditEntry
from services.audit.adapters.repository import AuditLog
from services.audit.domain.chain import canonical, link_hash
from services.audit.service.personal import seal_envelope
from services.audit.service.projections import project_agency, project_document, project_request
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

PROJECTIONS = {
    "AgencyRegistered": project_agency,
    "AgencyUpdated": project_agency,
    "DocumentPublished": project_document,
    "DocumentRepealed": project_document,
    "DocumentWithdrawn": project_document,
}


async def record_and_project(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """The consumer's handler: log the event and update the projections in one transaction."""
    await record_event(uow, envelope)
    if envelope.source == "requests" and envelope.aggregate_type == "request":
        await project_request(uow, envelope)
    elif (projection := PROJECTIONS.get(envelope.type)) is not None:
        await projection(uow, envelope)


async def record_event(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Append the event to the chain (once: the consumer's inbox guards redelivery)."""
    log = AuditLog(uow.session)
    prev = await log.last_hash()
    # Personal values are sealed under their subject's key before the chain covers them.
    body = canonical(await seal_envelope(uow, envelope.model_dump(mode="json")))
    log.append(
        AuditEntry(
            event_id=envelope.event_id,
            event_type=envelope.type,
            event_version=envelope.version,
            source=envelope.source,
            aggregate_type=envelope.aggregate_type,
            aggregate_id=envelope.aggregate_id,
            agency_id=envelope.agency_id,
            actor_sub=envelope.actor.sub,
            actor_role=envelope.actor.role,
            correlation_id=envelope.correlation_id,
            occurred_at=envelope.occurred_at,
            recorded_at=utcnow(),
            envelope=body,
            prev_hash=prev,
            hash=link_hash(prev, body),
        )
    )
