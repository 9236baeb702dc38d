"""Keeps the replica of the officer directory current: where an officer's notices go."""

from __future__ import annotations

from sqlalchemy import select

from services.notify.adapters.orm import KnownOfficer
from shared.contracts.identity import OfficerChanged
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork


async def on_officer_changed(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """OfficerChanged carries the whole entry: keep the newest version, ignore older (late or replayed) ones."""
    event = OfficerChanged.model_validate(envelope.payload)
    memberships = [m.model_dump() for m in event.memberships]
    officer = await uow.session.get(KnownOfficer, event.officer_id)
    if officer is None:
        uow.session.add(
            KnownOfficer(
                id=event.officer_id,
                name=event.name,
                status=event.status,
                email=event.email,
                mobile=event.mobile,
                memberships=memberships,
                version=event.version,
                replicated_at=utcnow(),
            )
        )
    elif event.version >= officer.version:
        officer.name, officer.status, officer.email, officer.mobile = event.name, event.status, event.email, event.mobile
        officer.memberships, officer.version, officer.replicated_at = memberships, event.version, utcnow()


async def officer(uow: UnitOfWork, officer_id: str) -> KnownOfficer | None:
    """An active officer of the directory, or None."""
    row = await uow.session.get(KnownOfficer, officer_id)
    return row if row is not None and row.status == "active" else None


async def holders(uow: UnitOfWork, agency_id: str | None, role: str) -> list[KnownOfficer]:
    """The active officers holding `role` in `agency_id`."""
    if not agency_id:
        return []
    rows = (await uow.session.execute(select(KnownOfficer).where(KnownOfficer.status == "active").order_by(KnownOfficer.id))).scalars()
    return [o for o in rows if any(m["agency_id"] == agency_id and role in m["roles"] for m in o.memberships)]
