"""The caller's notification preferences: channels, opting out of non-statutory messages, the bound WeChat openid."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator

from services.notify.adapters.orm import RecipientPreference
from services.notify.domain.delivery import ALL_CHANNELS
from shared.auth import Principal, current_principal
from shared.db import utcnow
from shared.service import UoW

router = APIRouter(prefix="/preferences", tags=["通知偏好"])
Caller = Annotated[Principal, Depends(current_principal)]
ChannelName = Literal["inbox", "email", "sms", "wechat"]


class PreferencesIn(BaseModel):
    channels: list[ChannelName] = Field(
        max_length=4,
        description="接收通知的渠道：inbox 站内信、email 电子邮件、sms 短信、wechat 微信订阅消息。法定告知事项无论如何都会发到站内信。",
    )
    non_statutory_opt_out: bool = Field(default=False, description="不接收非法定的提醒类消息")
    wechat_openid: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{6,64}$", description="微信小程序中绑定的 openid；为空表示解除绑定"
    )

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("渠道不能重复")
        return value


class PreferencesOut(BaseModel):
    channels: list[str]
    non_statutory_opt_out: bool
    wechat_openid: str | None
    statutory_note: str = "法定告知事项（受理、补正、延期、收费、答复、终止等）始终发送到站内信，不受以上设置影响。"
    updated_at: datetime | None = None


def _out(row: RecipientPreference | None) -> PreferencesOut:
    if row is None:
        return PreferencesOut(channels=list(ALL_CHANNELS), non_statutory_opt_out=False, wechat_openid=None)
    return PreferencesOut(
        channels=[c for c in ALL_CHANNELS if c in row.channels],
        non_statutory_opt_out=row.non_statutory_opt_out,
        wechat_openid=row.wechat_openid,
        updated_at=row.updated_at,
    )


@router.get("/me", response_model=PreferencesOut, summary="我的通知偏好（任何已登录用户，仅本人）")
async def my_preferences(uow: UoW, principal: Caller) -> PreferencesOut:
    return _out(await uow.session.get(RecipientPreference, principal.sub))


@router.put("/me", response_model=PreferencesOut, summary="设置我的通知偏好（任何已登录用户，仅本人）")
async def set_my_preferences(body: PreferencesIn, uow: UoW, principal: Caller) -> PreferencesOut:
    row = await uow.session.get(RecipientPreference, principal.sub)
    if row is None:
        row = RecipientPreference(sub=principal.sub)
        uow.session.add(row)
    row.channels, row.non_statutory_opt_out, row.wechat_openid = list(body.channels), body.non_statutory_opt_out, body.wechat_openid
    row.updated_at = utcnow()
    await uow.session.flush()
    return _out(row)
