"""Agencies a request may be addressed to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from services.requests.adapters.repository import KnownAgencyRepository
from shared.service import UoW

router = APIRouter(prefix="/agencies", tags=["受理机关"])


class KnownAgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: str
    parent_id: str | None


@router.get("", response_model=list[KnownAgencyOut], summary="可受理申请的机关（公开）")
async def list_agencies(uow: UoW) -> list[KnownAgencyOut]:
    return [KnownAgencyOut.model_validate(a) for a in await KnownAgencyRepository(uow.session).list()]
