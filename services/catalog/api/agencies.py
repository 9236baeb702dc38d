"""Agency endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW

from services.catalog.adapters.repository import AgencyRepository
from services.catalog.domain.agency import AgencyKind
from shared.validators import is_valid_credit_code
from services.catalog.service.agencies import register_agency

router = APIRouter(prefix="/agencies", tags=["机关"])


class AgencyIn(BaseModel):
    name: str = Field(min_length=2, max_length=100, description="机关全称")
    kind: AgencyKind
    parent_id: str | None = Field(default=None, description="上级机关 ID；县政府为空")
    credit_code: str | None = Field(default=None, description="统一社会信用代码（GB 32100）")

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper()
        if not is_valid_credit_code(v):
            raise ValueError("统一社会信用代码格式或校验位不正确")
        return v


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: AgencyKind
    parent_id: str | None
    credit_code: str | None
    created_at: datetime


@router.post("", status_code=201, response_model=AgencyOut, summary="新增机关（系统管理员）")
async def create_agency(body: AgencyIn, uow: UoW, response: Response, request: Request,
                        principal: Annotated[Principal, Depends(require(Role.admin))]) -> AgencyOut:
    agency = await register_agency(uow, principal, name=body.name, kind=body.kind, parent_id=body.parent_id, credit_code=body.credit_code)
    response.headers["Location"] = str(request.url_for("get_agency", agency_id=agency.id))
    return AgencyOut.model_validate(agency)


@router.get("", response_model=list[AgencyOut], summary="机关列表（公开）")
async def list_agencies(uow: UoW) -> list[AgencyOut]:
    return [AgencyOut.model_validate(a) for a in await AgencyRepository(uow.session).list()]


@router.get("/{agency_id}", response_model=AgencyOut, summary="机关详情（公开）")
async def get_agency(agency_id: str, uow: UoW) -> AgencyOut:
    agency = await AgencyRepository(uow.session).get(agency_id)
    if agency is None:
        raise Problem(404, "agency_not_found", "机关不存在")
    return AgencyOut.model_validate(agency)
