"""The WeChat mini-program server API: code → openid, the access token, and the verified phone number.

`session_key` (which jscode2session returns) is dropped on arrival: it is never returned, stored
or logged. The access token comes from `cgi-bin/stable_token` (the same token for every replica
until it expires), cached until shortly before `expires_in`; 40001/42001 get one forced refresh
and one retry. WeChat's errcodes become Chinese problems with stable codes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from shared.errors import Problem

log = logging.getLogger(__name__)

TOKEN_INVALID = frozenset({40001, 42001})  # invalid credential, access_token expired

# errcode → (HTTP status, our code, detail)
_ERRORS: dict[int, tuple[int, str, str]] = {
    -1: (503, "wechat_busy", "微信服务繁忙，请稍后再试"),
    40029: (400, "wechat_code_invalid", "微信登录凭证无效或已过期，请重新进入小程序后再试"),
    40163: (400, "wechat_code_used", "微信登录凭证已被使用，请重新进入小程序后再试"),
    45011: (429, "wechat_rate_limited", "操作过于频繁，请稍后再试"),
    40226: (403, "wechat_user_blocked", "微信判定该账号存在安全风险，暂时无法登录，请使用短信验证码登录或前往窗口办理"),
}


def problem_for(errcode: int | None, what: str) -> Problem:
    """The problem a WeChat errcode means for our caller; unknown ones are our side's fault (503)."""
    if errcode in _ERRORS:
        status, code, detail = _ERRORS[errcode]
        headers = {"Retry-After": "5"} if status in (429, 503) else None
        return Problem(status, code, detail, headers=headers)
    log.error("WeChat %s failed with errcode %s", what, errcode)
    return Problem(503, "wechat_error", "微信接口暂时不可用，请稍后再试或使用短信验证码登录", headers={"Retry-After": "30"})


class _RedactSecrets(logging.Filter):
    """httpx logs each request URL; ours carry the AppSecret or the access token in the query."""

    SENSITIVE = ("secret", "access_token", "js_code")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(self._redact(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True

    def _redact(self, url: httpx.URL) -> httpx.URL:
        params = [(k, "***" if k in self.SENSITIVE else v) for k, v in url.params.multi_items()]
        return url.copy_with(params=params) if params else url


_redactor = _RedactSecrets()
if _redactor not in logging.getLogger("httpx").filters:
    logging.getLogger("httpx").addFilter(_redactor)


@dataclass(frozen=True)
class WechatUser:
    """Who jscode2session says the mini-program user is (its session_key deliberately absent)."""

    openid: str
    unionid: str | None


@dataclass(frozen=True)
class WechatPhone:
    phone: str  # purePhoneNumber, without the country code
    country_code: str


class WechatClient:
    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        base_url: str,
        timeout: float = 5.0,
        refresh_margin: float = 300.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self._base = base_url.rstrip("/")
        self._refresh_margin = refresh_margin
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _configured(self) -> None:
        if not self.appid or not self._secret:
            raise Problem(503, "wechat_not_configured", "本平台尚未配置微信小程序，请使用短信验证码登录")

    async def _call(self, what: str, method: str, path: str, **kwargs) -> dict:
        try:
            response = await self._client.request(method, self._base + path, **kwargs)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("WeChat %s unreachable: %s", what, type(exc).__name__)
            raise Problem(503, "wechat_unreachable", "暂时无法连接微信服务，请稍后再试", headers={"Retry-After": "5"}) from exc
        if not isinstance(body, dict):
            raise problem_for(None, what)
        return body

    async def login(self, code: str) -> WechatUser:
        """jscode2session: the openid (and unionid) behind a one-time wx.login() code."""
        self._configured()
        body = await self._call(
            "jscode2session",
            "GET",
            "/sns/jscode2session",
            params={"appid": self.appid, "secret": self._secret, "js_code": code, "grant_type": "authorization_code"},
        )
        body.pop("session_key", None)  # never kept, never passed on
        if body.get("errcode") or not isinstance(body.get("openid"), str) or not body["openid"]:
            raise problem_for(body.get("errcode"), "jscode2session")
        unionid = body.get("unionid")
        return WechatUser(body["openid"], unionid if isinstance(unionid, str) and unionid else None)

    # -- access token ------------------------------------------------------------------

    async def _access_token(self, *, force: bool = False, spent: str | None = None) -> str:
        if not force and self._token and self._clock() < self._token_expires_at:
            return self._token
        async with self._lock:
            # Another call may have fetched (or force-refreshed) it while we waited.
            if self._token and self._clock() < self._token_expires_at and (not force or self._token != spent):
                return self._token
            body = await self._call(
                "stable_token",
                "POST",
                "/cgi-bin/stable_token",
                json={"grant_type": "client_credential", "appid": self.appid, "secret": self._secret, "force_refresh": force},
            )
            token = body.get("access_token")
            if body.get("errcode") or not isinstance(token, str) or not token:
                raise problem_for(body.get("errcode"), "stable_token")
            expires_in = float(body.get("expires_in") or 7200)
            self._token = token
            self._token_expires_at = self._clock() + max(0.0, expires_in - min(self._refresh_margin, expires_in / 2))
            return token

    async def phone_number(self, code: str) -> WechatPhone:
        """getuserphonenumber: the phone WeChat verified for this user, refused unless its watermark is our appid."""
        self._configured()
        token = await self._access_token()
        body = await self._call(
            "getuserphonenumber", "POST", "/wxa/business/getuserphonenumber", params={"access_token": token}, json={"code": code}
        )
        if body.get("errcode") in TOKEN_INVALID:
            token = await self._access_token(force=True, spent=token)
            body = await self._call(
                "getuserphonenumber", "POST", "/wxa/business/getuserphonenumber", params={"access_token": token}, json={"code": code}
            )
        info = body.get("phone_info")
        if body.get("errcode") or not isinstance(info, dict):
            raise problem_for(body.get("errcode"), "getuserphonenumber")
        raw_watermark = info.get("watermark")
        watermark = raw_watermark if isinstance(raw_watermark, dict) else {}
        if watermark.get("appid") != self.appid:
            log.warning("WeChat phone number carried the watermark of another appid; refused")
            raise Problem(403, "wechat_watermark_mismatch", "手机号信息不属于本小程序，已拒绝绑定")
        phone, country = info.get("purePhoneNumber"), str(info.get("countryCode") or "")
        if not isinstance(phone, str) or not phone:
            raise problem_for(None, "getuserphonenumber")
        return WechatPhone(phone, country)
