"""Each agency's 政府信息公开指南: public to all, kept by the agency's head or an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict

from services.catalog.adapters.orm import Agency, Guide
from services.catalog.service.access import MANAGERS, ensure_in_scope
from services.catalog.service.commands import GuideIn
from shared.auth import Principal, require
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/agencies/{agency_id}/guide", tags=["政府信息公开指南"])

CHANNEL_LABELS = {"online": "网上申请", "letter": "信函申请", "in_person": "当面申请", "fax": "传真申请", "email": "电子邮件申请"}


class GuideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agency_id: str
    agency_name: str
    office: str
    address: str
    postcode: str | None
    hours: str
    phone: str
    fax: str | None
    email: str | None
    website: str | None
    channels: list[dict[str, str]]
    scope: str | None
    updated_at: datetime
    version: int


def _out(guide: Guide, agency: Agency) -> GuideOut:
    return GuideOut(
        agency_id=agency.id,
        agency_name=agency.name,
        office=guide.office,
        address=guide.address,
        postcode=guide.postcode,
        hours=guide.hours,
        phone=guide.phone,
        fax=guide.fax,
        email=guide.email,
        website=guide.website,
        channels=[{"code": c, "name": CHANNEL_LABELS[c]} for c in guide.channels],
        scope=guide.scope,
        updated_at=guide.updated_at,
        version=guide.version,
    )


async def _agency(uow, agency_id: str) -> Agency:
    agency = await uow.session.get(Agency, agency_id)
    if agency is None:
        raise Problem(404, "agency_not_found", "机关不存在")
    return agency


@router.get("", response_model=GuideOut, summary="政府信息公开指南（公开）")
async def get_guide(agency_id: str, uow: UoW, response: Response) -> GuideOut:
    agency = await _agency(uow, agency_id)
    guide = await uow.session.get(Guide, agency_id)
    if guide is None:
        raise Problem(404, "guide_not_found", "该机关尚未发布政府信息公开指南")
    response.headers["ETag"] = f'"{guide.version}"'
    return _out(guide, agency)


@router.put(
    "",
    response_model=GuideOut,
    summary="编制或更新指南（本机关负责人、系统管理员）",
    description="带 If-Match（上次读取的 ETag）时，若他人已先行修改则返回 412。",
)
async def put_guide(
    agency_id: str,
    body: GuideIn,
    uow: UoW,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require(*MANAGERS))],
) -> GuideOut:
    agency = await _agency(uow, agency_id)
    await ensure_in_scope(uow.session, principal, agency_id, hide=False)
    guide = await uow.session.get(Guide, agency_id)
    expected = request.headers.get("if-match")
    if guide is not None and expected and expected.strip().strip('"') not in ("*", str(guide.version)):
        raise Problem(412, "stale_version", "指南已被他人修改，请刷新后重试", current_version=guide.version)
    if guide is None:
        guide = Guide(agency_id=agency_id, updated_by=principal.sub, **body.model_dump())
        uow.session.add(guide)
    else:
        for name, value in body.model_dump().items():
            setattr(guide, name, value)
        guide.updated_by = principal.sub
    await uow.session.flush()
    response.headers["ETag"] = f'"{guide.version}"'
    return _out(guide, agency)
