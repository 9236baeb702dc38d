"""Officers' local accounts: password login (TOTP for admins) and TOTP enrolment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from services.identity.api.deps import Keys, Settings
from services.identity.api.schemas import TokenOut
from services.identity.service.passwords import change_own_password, confirm_totp_enrolment, password_login, start_totp_enrolment
from services.identity.service.sessions import start_session
from shared.auth import Principal, current_principal
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(tags=["工作人员本地账号"])


class PasswordLoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, pattern=r"^[0-9]{6}$", description="动态口令（系统管理员必填）")
    agency_id: str | None = Field(None, max_length=36, description="以哪个机关的身份登录；缺省取第一个")


class TotpStartOut(BaseModel):
    otpauth_uri: str = Field(description="用动态口令应用扫描的地址（otpauth://totp/…）")


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TotpConfirmIn(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$")


def _officer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_officer:
        raise Problem(403, "officers_only", "仅工作人员可以管理本地账号的密码和动态口令")
    return principal


@router.post("/password/login", summary="工作人员本地账号登录（公开；系统管理员须附动态口令）")
async def login(body: PasswordLoginIn, request: Request, uow: UoW, keys: Keys, settings: Settings) -> TokenOut:
    account, methods = await password_login(
        uow, settings, request.app.state.limiter, username=body.username, password=body.password, totp=body.totp
    )
    return TokenOut.of(await start_session(uow, keys, settings, account, methods=methods, agency_id=body.agency_id))


@router.post("/password/totp/start", summary="开始登记动态口令（已登录的本地账号工作人员本人）")
async def totp_start(uow: UoW, settings: Settings, principal: Annotated[Principal, Depends(_officer)]) -> TotpStartOut:
    return TotpStartOut(otpauth_uri=await start_totp_enrolment(uow, settings, principal.sub))


@router.post("/password/totp/confirm", status_code=204, summary="用一个动态口令确认登记（已登录的本地账号工作人员本人）")
async def totp_confirm(body: TotpConfirmIn, uow: UoW, settings: Settings, principal: Annotated[Principal, Depends(_officer)]) -> Response:
    await confirm_totp_enrolment(uow, settings, principal.sub, body.code)
    return Response(status_code=204)


@router.post("/password/change", status_code=204, summary="修改本人的本地账号密码（已登录的本地账号工作人员本人）")
async def change_password(
    body: PasswordChangeIn, uow: UoW, settings: Settings, principal: Annotated[Principal, Depends(_officer)]
) -> Response:
    await change_own_password(uow, settings, principal.sub, current=body.current_password, new=body.new_password)
    return Response(status_code=204)
