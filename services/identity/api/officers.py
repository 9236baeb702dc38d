"""The officer directory: kept by admins, and by heads for their own agency subtree."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from services.identity.api.deps import Settings
from services.identity.service import directory, passwords
from services.identity.service.directory import OfficerView
from services.identity.service.oidc import provider_named
from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW
from shared.validators import is_valid_mobile, normalize_mobile

router = APIRouter(tags=["工作人员名录"])
Keeper = Annotated[Principal, Depends(require(Role.admin, Role.head))]
WHO = "（仅系统管理员；机关负责人限本机关及下级机关，且不得授予系统管理员）"


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_id: str = Field(min_length=1, max_length=36)
    roles: list[str] = Field(min_length=1, max_length=6, description="registrar、handler、reviewer、head、supervisor、admin")


def _mobile(value: str | None) -> str | None:
    if value is None:
        return None
    value = normalize_mobile(value)
    if not is_valid_mobile(value):
        raise ValueError("手机号码格式不正确（11 位大陆手机号）")
    return value


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    email: EmailStr | None = Field(None, max_length=254, description="工作邮箱，用于通知")
    mobile: str | None = Field(None, max_length=20, description="工作手机，用于短信通知")
    memberships: list[MembershipIn] = Field(min_length=1, max_length=50)

    _check_mobile = field_validator("mobile")(_mobile)


class OfficerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=50)
    email: EmailStr | None = Field(None, max_length=254)
    mobile: str | None = Field(None, max_length=20)
    memberships: list[MembershipIn] | None = Field(None, max_length=50)
    version: int | None = Field(None, ge=1, description="读取时的版本（也可用 If-Match）；已被他人修改则 409")

    _check_mobile = field_validator("mobile")(_mobile)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(None, ge=1)


class MembershipOut(BaseModel):
    agency_id: str
    roles: list[str]


class OfficerOut(BaseModel):
    id: str
    name: str
    email: str | None
    mobile: str | None
    status: str
    version: int
    memberships: list[MembershipOut]

    @classmethod
    def of(cls, v: OfficerView) -> OfficerOut:
        o = v.officer
        return cls(
            id=o.account_id,
            name=o.name,
            email=o.email,
            mobile=o.mobile,
            status=o.status,
            version=o.version,
            memberships=[MembershipOut(agency_id=a, roles=r) for a, r in v.memberships.items()],
        )


def _memberships(items: list[MembershipIn]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in items:
        if m.agency_id in found:
            raise Problem(422, "membership_duplicate", f"机关 {m.agency_id} 重复出现，请合并为一项")
        found[m.agency_id] = list(m.roles)
    return found


def _expected(if_match: str | None, version: int | None) -> int | None:
    if if_match is None:
        return version
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise Problem(400, "if_match_invalid", "If-Match 应为读取时返回的 ETag（版本号）")
    if version is not None and int(tag) != version:
        raise Problem(400, "if_match_conflict", "If-Match 与请求体中的 version 不一致")
    return int(tag)


def _out(view: OfficerView, response: Response) -> OfficerOut:
    response.headers["ETag"] = f'"{view.officer.version}"'
    return OfficerOut.of(view)


@router.post("/officers", status_code=201, summary="新增工作人员" + WHO)
async def create(body: OfficerIn, uow: UoW, principal: Keeper, response: Response) -> OfficerOut:
    view = await directory.create_officer(
        uow, principal, name=body.name, email=body.email, mobile=body.mobile, memberships=_memberships(body.memberships)
    )
    return _out(view, response)


@router.get("/officers", summary="工作人员名录（仅系统管理员；机关负责人限本机关及下级机关）")
async def list_(
    uow: UoW,
    principal: Keeper,
    agency_id: Annotated[str | None, Query(max_length=36)] = None,
    status: Annotated[str | None, Query(pattern="^(active|disabled)$")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    views, total = await directory.list_officers(uow, principal, agency_id=agency_id, status=status, page=page, page_size=page_size)
    return {"items": [OfficerOut.of(v).model_dump() for v in views], "total": total, "page": page, "page_size": page_size}


@router.get("/officers/{officer_id}", summary="工作人员详情（仅系统管理员；机关负责人限本机关及下级机关）；ETag 为版本")
async def get(officer_id: str, uow: UoW, principal: Keeper, response: Response) -> OfficerOut:
    return _out(await directory.get_officer(uow, principal, officer_id), response)


@router.patch(
    "/officers/{officer_id}",
    summary="修改姓名、工作联系方式或角色" + WHO,
    description="带 If-Match（ETag）或 version；条目已被他人修改返回 409。memberships 整体替换。",
)
async def update(
    officer_id: str, body: OfficerPatch, uow: UoW, principal: Keeper, response: Response, if_match: Annotated[str | None, Header()] = None
) -> OfficerOut:
    fields = body.model_fields_set - {"memberships", "version"}
    if "name" in fields and body.name is None:
        raise Problem(422, "name_required", "姓名不能为空")
    changes = {f: getattr(body, f) for f in fields}
    memberships = _memberships(body.memberships) if body.memberships is not None else None
    view = await directory.update_officer(
        uow, principal, officer_id, expected_version=_expected(if_match, body.version), changes=changes, memberships=memberships
    )
    return _out(view, response)


async def _set_status(
    uow, principal, officer_id: str, status: str, response: Response, body: StatusIn | None, if_match: str | None
) -> OfficerOut:
    view = await directory.set_status(
        uow, principal, officer_id, status, expected_version=_expected(if_match, body.version if body else None)
    )
    return _out(view, response)


@router.post("/officers/{officer_id}/disable", summary="停用工作人员：立即撤销其会话，刷新令牌不再换发" + WHO)
async def disable(
    officer_id: str,
    uow: UoW,
    principal: Keeper,
    response: Response,
    body: StatusIn | None = None,
    if_match: Annotated[str | None, Header()] = None,
) -> OfficerOut:
    return await _set_status(uow, principal, officer_id, "disabled", response, body, if_match)


@router.post("/officers/{officer_id}/enable", summary="重新启用工作人员" + WHO)
async def enable(
    officer_id: str,
    uow: UoW,
    principal: Keeper,
    response: Response,
    body: StatusIn | None = None,
    if_match: Annotated[str | None, Header()] = None,
) -> OfficerOut:
    return await _set_status(uow, principal, officer_id, "active", response, body, if_match)


class SsoLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=255, description="该工作人员在认证系统中的用户标识（ID 令牌的 sub）")


@router.put(
    "/officers/{officer_id}/sso-links/{provider}",
    status_code=204,
    summary="关联单点登录账号：该提供方的此用户登录即为此工作人员（名录模式）" + WHO,
    description="用于未配置角色映射的提供方：角色与机关以名录为准。每名工作人员在每个提供方关联一个账号；再次关联即替换。",
)
async def link_sso(officer_id: str, provider: str, body: SsoLinkIn, uow: UoW, principal: Keeper, settings: Settings) -> Response:
    await directory.link_sso(uow, principal, officer_id, provider_named(settings, provider), body.subject)
    return Response(status_code=204)


class LocalPasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$", description="登录用户名（字母、数字和 . _ @ -）")
    password: str = Field(min_length=1, max_length=256, description="初始密码：请当面或经另一渠道告知本人，并要求其登录后修改")


class LocalPasswordOut(BaseModel):
    otpauth_uri: str | None = Field(None, description="系统管理员尚未登记动态口令时，供其扫描登记的地址；其他人员为空")


@router.put("/officers/{officer_id}/local-password", summary="设置或重置工作人员的本地账号密码（解除锁定）" + WHO)
async def set_local_password(officer_id: str, body: LocalPasswordIn, uow: UoW, principal: Keeper, settings: Settings) -> LocalPasswordOut:
    uri = await passwords.set_local_password(uow, settings, principal, officer_id, username=body.username, password=body.password)
    return LocalPasswordOut(otpauth_uri=uri)


@router.delete("/officers/{officer_id}/sso-links/{provider}", status_code=204, summary="取消单点登录账号关联" + WHO)
async def unlink_sso(officer_id: str, provider: str, uow: UoW, principal: Keeper, settings: Settings) -> Response:
    await directory.unlink_sso(uow, principal, officer_id, provider_named(settings, provider))
    return Response(status_code=204)
