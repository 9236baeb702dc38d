"""Who may be assigned a request: the officer directory's replica, as the assign action checks it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.requests.adapters.repository import KnownOfficerRepository
from services.requests.api.deps import visible_request
from services.requests.service.access import agency_subtree, visible_agencies
from shared.auth import OFFICER_ROLES, Principal, require
from shared.service import UoW

router = APIRouter(tags=["依申请公开"])
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]


@router.get(
    "/assignees",
    summary="可分办的工作人员（工作人员；限本机关及下级机关）",
    description="名录副本中在用、且在申请的承办机关（给出 request_id 时）或本人可见机关及其下级机关有角色的工作人员；"
    "承办人排在前面。分办时同样按此校验。",
)
async def assignees(uow: UoW, principal: Officer, request_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    if request_id:
        scope: set[str] | None = await agency_subtree(uow.session, (await visible_request(uow, principal, request_id)).agency_id)
    else:
        scope = await visible_agencies(uow.session, principal)
    found = []
    for officer in await KnownOfficerRepository(uow.session).active():
        roles = sorted({role for m in officer.memberships if scope is None or m["agency_id"] in scope for role in m["roles"]})
        if roles:
            found.append({"id": officer.id, "name": officer.name, "roles": roles})
    return sorted(found, key=lambda o: ("handler" not in o["roles"], o["name"], o["id"]))
