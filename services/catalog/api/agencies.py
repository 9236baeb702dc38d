"""Agency endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.catalog.adapters.repository import AgencyRepository
from services.catalog.domain.agency import AgencyKind
from services.catalog.service.agencies import change_agency, register_agency
from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW
from shared.trees import descendants
from shared.validators import is_valid_credit_code

router = APIRouter(prefix="/agencies", tags=["机关"])


class AgencyIn(BaseModel):
    name: str = Field(min_length=2, max_length=100, description="机关全称")
    kind: AgencyKind
    parent_id: str | None = Field(default=None, description="上级机关 ID；县政府为空")
    credit_code: str | None = Field(default=None, description="统一社会信用代码（GB 32100）")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9\-+() 转]{5,40}$", description="联系电话")
    address: str | None = Field(default=None, max_length=200, description="地址")
    website: str | None = Field(default=None, max_length=200, pattern=r"^https?://", description="网站")

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        return v.strip() if v is not None else None

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper()
        if not is_valid_credit_code(v):
            raise ValueError("统一社会信用代码格式或校验位不正确")
        return v


class AgencyPatch(AgencyIn):
    """Only the fields sent change."""

    name: str | None = Field(default=None, min_length=2, max_length=100)  # type: ignore[assignment]
    kind: AgencyKind | None = None  # type: ignore[assignment]


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: AgencyKind
    parent_id: str | None
    credit_code: str | None
    phone: str | None = None
    address: str | None = None
    website: str | None = None
    created_at: datetime


@router.post("", status_code=201, response_model=AgencyOut, summary="新增机关（系统管理员）")
async def create_agency(
    body: AgencyIn, uow: UoW, response: Response, request: Request, principal: Annotated[Principal, Depends(require(Role.admin))]
) -> AgencyOut:
    agency = await register_agency(uow, principal, body.model_dump())
    response.headers["Location"] = str(request.url_for("get_agency", agency_id=agency.id))
    return AgencyOut.model_validate(agency)


@router.get("", response_model=list[AgencyOut], summary="机关列表（公开）", description="`under` 给出某机关时，只列该机关及其下级机关。")
async def list_agencies(
    uow: UoW, under: Annotated[str | None, Query(max_length=36, description="只列此机关及其下级")] = None
) -> list[AgencyOut]:
    agencies = await AgencyRepository(uow.session).list()
    if under is not None:
        keep = descendants(((a.id, a.parent_id) for a in agencies), under)
        agencies = [a for a in agencies if a.id in keep]
    return [AgencyOut.model_validate(a) for a in agencies]


@router.patch(
    "/{agency_id}",
    response_model=AgencyOut,
    summary="修改机关信息（系统管理员）",
    description="名称、上级、统一社会信用代码、联系方式；变更以 AgencyUpdated 事件通知其他服务。不能把机关移到它自己的下级之下。",
)
async def update_agency(
    agency_id: str, body: AgencyPatch, uow: UoW, principal: Annotated[Principal, Depends(require(Role.admin))]
) -> AgencyOut:
    agency = await AgencyRepository(uow.session).get(agency_id)
    if agency is None:
        raise Problem(404, "agency_not_found", "机关不存在")
    await change_agency(uow, principal, agency, body.model_dump(exclude_unset=True))
    return AgencyOut.model_validate(agency)


@router.get("/{agency_id}", response_model=AgencyOut, summary="机关详情（公开）")
async def get_agency(agency_id: str, uow: UoW) -> AgencyOut:
    agency = await AgencyRepository(uow.session).get(agency_id)
    if agency is None:
        raise Problem(404, "agency_not_found", "机关不存在")
    return AgencyOut.model_validate(agency)
