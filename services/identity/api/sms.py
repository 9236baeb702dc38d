"""Citizens on websites: a captcha, an SMS code, a session (all public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from services.identity.adapters.sms import CodeSender
from services.identity.api.deps import Keys, Settings, client_ip
from services.identity.api.schemas import TokenOut
from services.identity.service.sessions import start_session
from services.identity.service.sms_login import new_captcha, send_code, verify_code
from shared.ratelimit import RateLimiter
from shared.service import UoW
from shared.validators import is_valid_mobile, normalize_mobile

router = APIRouter(tags=["短信验证码登录"])


def _mobile(value: str) -> str:
    value = normalize_mobile(value)
    if not is_valid_mobile(value):
        raise ValueError("请输入 11 位中国大陆手机号码")
    return value


class CaptchaOut(BaseModel):
    captcha_id: str
    image: str = Field(description="PNG 图片（data URL）")
    text_challenge: str = Field(description="文字版题目，供读屏软件和不便看图的用户使用")
    expires_in: int


class SendIn(BaseModel):
    phone: str = Field(max_length=20)
    captcha_id: str = Field(min_length=1, max_length=36)
    captcha_answer: str = Field(min_length=1, max_length=8)

    _phone = field_validator("phone")(classmethod(lambda cls, v: _mobile(v)))


class LoginIn(BaseModel):
    phone: str = Field(max_length=20)
    code: str = Field(pattern=r"^[0-9]{6}$", description="6 位数字验证码")

    _phone = field_validator("phone")(classmethod(lambda cls, v: _mobile(v)))


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def _sender(request: Request) -> CodeSender:
    sender: CodeSender = request.app.state.sms_sender
    return sender


@router.post("/captcha", summary="获取图形验证码（公开；附文字版题目）")
async def captcha(uow: UoW, settings: Settings) -> CaptchaOut:
    return CaptchaOut(**await new_captcha(uow, settings))


@router.post("/sms/send", status_code=202, summary="发送短信验证码（公开；先答图形验证码）")
async def sms_send(
    body: SendIn,
    request: Request,
    uow: UoW,
    settings: Settings,
    limiter: Annotated[RateLimiter, Depends(_limiter)],
    sender: Annotated[CodeSender, Depends(_sender)],
) -> JSONResponse:
    await send_code(
        uow,
        settings,
        limiter,
        sender,
        phone=body.phone,
        captcha_id=body.captcha_id,
        captcha_answer=body.captcha_answer,
        ip=client_ip(request),
    )
    # The same reply whether or not the phone has an account.
    return JSONResponse(
        {"detail": "验证码已发送，请查收短信", "expires_in": settings.sms_code_ttl_seconds, "resend_after": 60}, status_code=202
    )


@router.post("/sms/login", summary="短信验证码登录（公开）")
async def sms_login(
    body: LoginIn, request: Request, uow: UoW, keys: Keys, settings: Settings, limiter: Annotated[RateLimiter, Depends(_limiter)]
) -> TokenOut:
    account = await verify_code(uow, settings, limiter, phone=body.phone, code=body.code, ip=client_ip(request))
    return TokenOut.of(await start_session(uow, keys, settings, account, methods="sms"))
