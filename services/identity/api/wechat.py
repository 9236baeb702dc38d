"""Citizens in the WeChat mini-program: sign in with a wx.login() code, bind the phone WeChat verified."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.identity.adapters.wechat import WechatClient
from services.identity.api.deps import Keys, Settings
from services.identity.api.schemas import TokenOut
from services.identity.service import wechat_login
from services.identity.service.sessions import start_session
from shared.auth import Principal, Role, require
from shared.service import UoW

router = APIRouter(prefix="/wechat", tags=["微信小程序登录"])
Citizen = Annotated[Principal, Depends(require(Role.applicant))]


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", description="小程序取得的一次性 code（5 分钟内有效）")


def _wechat(request: Request) -> WechatClient:
    return request.app.state.wechat


Wechat = Annotated[WechatClient, Depends(_wechat)]


@router.post("/login", summary="微信小程序登录（公开；wx.login() 的 code，首次登录即建立账号）")
async def login(body: CodeIn, uow: UoW, keys: Keys, settings: Settings, wechat: Wechat) -> TokenOut:
    account = await wechat_login.login(uow, wechat, body.code)
    return TokenOut.of(await start_session(uow, keys, settings, account, methods="wechat"))


@router.post("/phone", summary="绑定微信验证的手机号（已登录的公众，仅本人；该号码已有账号时并入该账号，返回新的登录凭证）")
async def bind_phone(body: CodeIn, uow: UoW, keys: Keys, settings: Settings, wechat: Wechat, principal: Citizen) -> TokenOut:
    account = await wechat_login.bind_phone(uow, wechat, principal, body.code)
    return TokenOut.of(await start_session(uow, keys, settings, account, methods="wechat"))
