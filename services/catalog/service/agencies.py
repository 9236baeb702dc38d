"""Agency use cases."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from shared.auth import Principal
from shared.contracts.catalog import AgencyRegistered
from shared.errors import Problem
from shared.events import Actor
from shared.uow import UnitOfWork

from services.catalog.adapters.orm import Agency
from services.catalog.adapters.repository import AgencyRepository
from services.catalog.domain.agency import AgencyKind


async def register_agency(uow: UnitOfWork, actor: Principal, *, name: str, kind: AgencyKind, parent_id: str | None, credit_code: str | None) -> Agency:
    """Add an agency to the tree and announce it."""
    repo = AgencyRepository(uow.session)
    if parent_id and await repo.get(parent_id) is None:
        raise Problem(422, "parent_agency_not_found", "上级机关不存在", errors=[{"field": "parent_id", "message": "上级机关不存在"}])
    if await repo.by_name_or_code(name, credit_code):
        raise Problem(409, "agency_exists", "同名或同一统一社会信用代码的机关已存在")
    agency = Agency(name=name, kind=kind.value, parent_id=parent_id, credit_code=credit_code)
    repo.add(agency)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        # A concurrent request registered the same name or code between our check and our insert.
        raise Problem(409, "agency_exists", "同名或同一统一社会信用代码的机关已存在") from exc
    event = AgencyRegistered(agency_id=agency.id, name=name, kind=kind.value, parent_id=parent_id, credit_code=credit_code)
    uow.emit(event.topic, event.envelope(source="catalog", aggregate_id=agency.id, agency_id=agency.id,
                                         actor=Actor(sub=actor.sub, role=actor.primary_role.value, agency_id=actor.agency_id)))
    return agency
