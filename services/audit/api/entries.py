"""Audit log queries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from shared.auth import Principal, Role, require
from shared.service import UoW

from services.audit.adapters.repository import AuditLog

router = APIRouter(prefix="/entries", tags=["审计日志"])


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    event_id: str
    event_type: str
    source: str
    aggregate_type: str
    aggregate_id: str
    agency_id: str | None
    actor_sub: str
    actor_role: str | None
    correlation_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@router.get("", response_model=list[EntryOut], summary="查询审计日志（政务公开办、系统管理员）")
async def search_entries(
    uow: UoW,
    principal: Annotated[Principal, Depends(require(Role.supervisor, Role.admin))],
    event_type: str | None = None,
    aggregate_id: str | None = None,
    agency_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: Annotated[int, Query(ge=0, description="从此序号之后开始（翻页游标）")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EntryOut]:
    entries = await AuditLog(uow.session).search(event_type=event_type, aggregate_id=aggregate_id, agency_id=agency_id,
                                                 since=since, until=until, after_seq=after_seq, limit=limit)
    return [EntryOut.model_validate({**e.__dict__, "payload": json.loads(e.envelope)["payload"]}) for e in entries]
