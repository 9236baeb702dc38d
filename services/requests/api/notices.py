"""Formal notices of a request (告知书, 征求意见函, 答复书): list, PDF, printable page; each agency's numbering settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.requests.adapters import notice_print
from services.requests.adapters.orm import AgencyNoticeSettings, KnownAgency, Notice
from services.requests.api.deps import visible_request
from services.requests.domain.notices import DEFAULT_NUMBER_FORMAT, NumberFormatError, check_number_format, document_number
from services.requests.service import notices
from services.requests.service.access import visible_agencies
from shared.auth import OFFICER_ROLES, Principal, Role, current_principal, require
from shared.errors import Problem
from shared.filetypes import download_headers
from shared.service import UoW

router = APIRouter(tags=["通知书"])
Caller = Annotated[Principal, Depends(current_principal)]
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]
Admin = Annotated[Principal, Depends(require(Role.admin))]

# The printable page is our own template with the request's text escaped in it; it still runs no
# script and loads nothing: inline CSS and the inline SVG QR code are all it has.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str = Field(
        description="receipt 登记回执；correction 补正告知书；extension 延期答复告知书；consultation 征求意见函；fee 缴费通知书；answer 答复书"
    )
    title: str
    document_number: str = Field(description="文号，如 某民依申公〔2026〕12号")
    issued_on: date
    round: int
    recipient: str = Field(description="applicant 申请人；party 被征求意见的第三方或机关")
    addressee: str
    created_at: datetime
    pdf_url: str
    html_url: str


def _not_found() -> Problem:
    return Problem(404, "notice_not_found", "通知书不存在或无权查看")


def _visible_to(principal: Principal, notice: Notice) -> bool:
    """Officers who may see the request see all its notices; the applicant those addressed to them, not a third party's letter."""
    return principal.is_officer or notice.recipient == "applicant"


def _out(request: Request, notice: Notice) -> NoticeOut:
    links = {
        "pdf_url": str(request.url_for("notice_pdf", request_id=notice.request_id, notice_id=notice.id)),
        "html_url": str(request.url_for("notice_html", request_id=notice.request_id, notice_id=notice.id)),
    }
    return NoticeOut.model_validate({**{c: getattr(notice, c) for c in NoticeOut.model_fields if c not in links}, **links})


async def _notice(uow, principal: Principal, request_id: str, notice_id: str) -> Notice:
    r = await visible_request(uow, principal, request_id)  # 404 when the request is not the caller's to see
    notice = await uow.session.get(Notice, notice_id)
    if notice is None or notice.request_id != r.id or not _visible_to(principal, notice):
        raise _not_found()
    return notice


def _filename(notice: Notice, suffix: str) -> str:
    return f"{notice.title}（{notice.document_number}）.{suffix}"


@router.get(
    "/requests/{request_id}/notices",
    response_model=list[NoticeOut],
    summary="申请的通知书（申请人本人：发给本人的；有权查看该申请的工作人员：全部）",
    description="登记回执、补正告知书、延期答复告知书、征求意见函、缴费通知书和答复书，按出具日期排列；各有文号、PDF 和可打印网页。",
)
async def list_notices(request_id: str, uow: UoW, principal: Caller, request: Request) -> list[NoticeOut]:
    r = await visible_request(uow, principal, request_id)
    return [_out(request, x) for x in await notices.notices_of(uow, r.id) if _visible_to(principal, x)]


@router.get(
    "/requests/{request_id}/notices/{notice_id}/pdf",
    name="notice_pdf",
    summary="下载通知书 PDF（申请人本人下载发给本人的；有权查看该申请的工作人员；通知服务取来附在邮件中）",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def notice_pdf(request_id: str, notice_id: str, uow: UoW, principal: Caller, request: Request) -> Response:
    if principal.roles == {Role.service}:  # the notify service, to attach it to the e-mail it sends
        notice = await uow.session.get(Notice, notice_id)
        if notice is None or notice.request_id != request_id:
            raise _not_found()
    else:
        notice = await _notice(uow, principal, request_id, notice_id)
    pdf = await notices.pdf_of(uow, notice, request.app.state.storage)
    return Response(pdf, media_type="application/pdf", headers=download_headers(_filename(notice, "pdf")))


@router.get(
    "/requests/{request_id}/notices/{notice_id}/html",
    name="notice_html",
    summary="通知书的可打印网页（申请人本人查看发给本人的；有权查看该申请的工作人员）",
    response_class=HTMLResponse,
)
async def notice_html(request_id: str, notice_id: str, uow: UoW, principal: Caller) -> HTMLResponse:
    notice = await _notice(uow, principal, request_id, notice_id)
    return HTMLResponse(
        notice_print.with_qr_codes(notice.html), headers={"Content-Security-Policy": HTML_POLICY, "X-Content-Type-Options": "nosniff"}
    )


class NoticeSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    short_name: str | None = Field(default=None, max_length=30, description="机关简称，如“某民”；不设置时文号用机关全称")
    number_format: str | None = Field(default=None, max_length=100, description=f"文号格式，默认 {DEFAULT_NUMBER_FORMAT}")
    reconsideration_body: str | None = Field(default=None, max_length=100, description="行政复议机关；默认上一级人民政府")
    court: str | None = Field(default=None, max_length=100, description="行政诉讼的人民法院；默认“有管辖权的人民法院”")
    contact: str | None = Field(default=None, max_length=300, description="通知书上的联系方式（地址、电话）")

    @field_validator("number_format")
    @classmethod
    def _format(cls, v: str | None) -> str | None:
        if v:
            try:
                check_number_format(v)
            except NumberFormatError as exc:
                raise ValueError(str(exc)) from exc
        return v or None


def _settings_out(agency: KnownAgency, row: AgencyNoticeSettings | None, default_format: str, year: int) -> dict[str, Any]:
    pattern = (row.number_format if row else None) or default_format
    short = (row.short_name if row else None) or agency.name
    return {
        "agency_id": agency.id,
        "short_name": row.short_name if row else None,
        "number_format": row.number_format if row else None,
        "reconsideration_body": row.reconsideration_body if row else None,
        "court": row.court if row else None,
        "contact": row.contact if row else None,
        "example": document_number(pattern, short_name=short, year=year, serial=1),
    }


async def _agency(uow, principal: Principal, agency_id: str) -> KnownAgency:
    agency = await uow.session.get(KnownAgency, agency_id)
    scope = await visible_agencies(uow.session, principal)
    if agency is None or (scope is not None and agency_id not in scope):
        raise Problem(404, "agency_not_found", "机关不存在或不在您的管辖范围内")
    return agency


@router.get("/agencies/{agency_id}/notice-settings", summary="机关的通知书设置：简称、文号格式、复议机关（工作人员）")
async def get_notice_settings(agency_id: str, uow: UoW, principal: Officer, request: Request) -> dict[str, Any]:
    agency = await _agency(uow, principal, agency_id)
    row = await uow.session.get(AgencyNoticeSettings, agency_id)
    return _settings_out(agency, row, request.app.state.settings.notice_number_format, request.app.state.today().year)


@router.put(
    "/agencies/{agency_id}/notice-settings",
    summary="设置机关的通知书简称、文号格式、复议机关和联系方式（系统管理员）",
    description="文号格式须含 {year} 和 {serial}；已出具的文号不会改变，也不会被再次使用（与已有文号相同时拒绝出具）。",
)
async def put_notice_settings(agency_id: str, body: NoticeSettingsIn, uow: UoW, principal: Admin, request: Request) -> dict[str, Any]:
    agency = await _agency(uow, principal, agency_id)
    row = await uow.session.get(AgencyNoticeSettings, agency_id)
    if row is None:
        row = AgencyNoticeSettings(agency_id=agency_id, updated_by=principal.sub)
        uow.session.add(row)
    for field, value in body.model_dump().items():
        setattr(row, field, value or None)
    row.updated_by = principal.sub
    await uow.session.flush()
    return _settings_out(agency, row, request.app.state.settings.notice_number_format, request.app.state.today().year)
