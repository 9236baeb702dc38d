"""Agency use cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from services.catalog.adapters.orm import Agency
from services.catalog.adapters.repository import AgencyRepository
from services.catalog.domain.agency import AgencyKind
from shared.auth import Principal
from shared.contracts.catalog import AgencyRegistered, AgencyUpdated
from shared.errors import Problem
from shared.events import Actor
from shared.trees import descendants
from shared.uow import UnitOfWork


def _exists() -> Problem:
    return Problem(409, "agency_exists", "同名或同一统一社会信用代码的机关已存在")


async def _flush(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        # A concurrent request registered the same name or code between our check and our write.
        raise _exists() from exc


def _announce(uow: UnitOfWork, actor: Principal, agency: Agency, cls: type[AgencyRegistered]) -> None:
    event = cls(agency_id=agency.id, name=agency.name, kind=agency.kind, parent_id=agency.parent_id, credit_code=agency.credit_code)
    uow.emit(
        event.topic,
        event.envelope(
            source="catalog",
            aggregate_id=agency.id,
            agency_id=agency.id,
            actor=Actor(sub=actor.sub, role=actor.primary_role.value, agency_id=actor.agency_id),
        ),
    )


async def register_agency(uow: UnitOfWork, actor: Principal, fields: dict[str, Any]) -> Agency:
    """Add an agency to the tree and announce it."""
    repo = AgencyRepository(uow.session)
    if fields.get("parent_id") and await repo.get(fields["parent_id"]) is None:
        raise Problem(422, "parent_agency_not_found", "上级机关不存在", errors=[{"field": "parent_id", "message": "上级机关不存在"}])
    if await repo.by_name_or_code(fields["name"], fields.get("credit_code")):
        raise _exists()
    agency = Agency(**{**fields, "kind": AgencyKind(fields["kind"]).value})
    repo.add(agency)
    await _flush(uow)
    _announce(uow, actor, agency, AgencyRegistered)
    return agency


async def change_agency(uow: UnitOfWork, actor: Principal, agency: Agency, changes: dict[str, Any]) -> None:
    """Rename, move or re-code an agency, or change its contacts; the tree stays a tree."""
    repo = AgencyRepository(uow.session)
    for required in ("name", "kind"):
        if required in changes and changes[required] is None:
            raise Problem(422, "validation_failed", "名称和类型不能为空", errors=[{"field": required, "message": "不能为空"}])
    if changes.get("parent_id"):
        if await repo.get(changes["parent_id"]) is None:
            raise Problem(422, "parent_agency_not_found", "上级机关不存在", errors=[{"field": "parent_id", "message": "上级机关不存在"}])
        below = descendants(((a.id, a.parent_id) for a in await repo.list()), agency.id)
        if changes["parent_id"] in below:
            raise Problem(
                422, "agency_cycle", "不能把机关移到它自己或它的下级机关之下", errors=[{"field": "parent_id", "message": "会形成循环"}]
            )
    for name in ("name", "credit_code"):
        if changes.get(name) and changes[name] != getattr(agency, name):
            other = await repo.by_name_or_code(changes[name], None) if name == "name" else await repo.by_code(changes[name])
            if other is not None and other.id != agency.id:
                raise _exists()
    for name, value in changes.items():
        setattr(agency, name, AgencyKind(value).value if name == "kind" else value)
    await _flush(uow)
    if {"name", "kind", "parent_id", "credit_code"} & changes.keys():
        _announce(uow, actor, agency, AgencyUpdated)
