"""Senders of login codes. The development outbox writes each message to a JSON-lines file.

It exists so that a person trying `make run` can read their code (the settings refuse it in
production). In production `AliyunSender` calls Aliyun SMS.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path
from typing import Protocol

import httpx

from shared.aliyun import signed_rpc_request
from shared.db import utcnow
from shared.errors import Problem

log = logging.getLogger(__name__)

API_VERSION = "2017-05-25"


class CodeSender(Protocol):
    """Sends a login code to a phone (the development outbox or Aliyun)."""

    async def send_code(self, phone: str, code: str, minutes: int) -> None: ...


class DevOutboxSender:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    async def send_code(self, phone: str, code: str, minutes: int) -> None:
        text = f"【政府信息公开】您的登录验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。"
        line = json.dumps({"at": utcnow().isoformat(), "phone": phone, "text": text, "code": code}, ensure_ascii=False)
        await asyncio.to_thread(self._append, line)


class AliyunSender:
    """Aliyun SMS `SendSms` (API 2017-05-25), signed with ACS3-HMAC-SHA256; one call, never retried.

    A send is not idempotent (a retry after a lost reply could text the person twice and spend
    the budget twice), so a timeout or failure is answered to the person, who may ask again.
    """

    def __init__(
        self, endpoint: str, access_key_id: str, access_key_secret: str, sign_name: str, template_code: str, *, timeout: float = 5.0
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.timeout = httpx.Timeout(timeout, connect=3.0)

    def signed_request(self, params: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The URL and headers of one signed POST carrying `params` in the query string and an empty body."""
        return signed_rpc_request(
            self.endpoint,
            action="SendSms",
            version=API_VERSION,
            params=params,
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
        )

    async def send_code(self, phone: str, code: str, minutes: int) -> None:
        params = {
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"code": code}, separators=(",", ":")),
            "OutId": uuid.uuid4().hex,
        }
        url, headers = self.signed_request(params)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.post(url, headers=headers)
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("aliyun SendSms failed before a reply was read", exc_info=True)
            raise Problem(503, "sms_unavailable", "短信发送暂时失败，请稍后重新获取验证码", headers={"Retry-After": "60"}) from exc
        result = body.get("Code") if isinstance(body, dict) else None
        if result == "OK":
            return
        log.warning(
            "aliyun SendSms refused: code=%s request_id=%s message=%s",
            result,
            body.get("RequestId") if isinstance(body, dict) else None,
            body.get("Message") if isinstance(body, dict) else None,
        )
        if result == "isv.BUSINESS_LIMIT_CONTROL":
            raise Problem(
                429, "sms_provider_limited", "该手机号获取验证码过于频繁，请稍后再试", headers={"Retry-After": "60"}, retry_after=60
            )
        if result == "isv.MOBILE_NUMBER_ILLEGAL":
            raise Problem(400, "phone_invalid", "手机号码无法接收短信，请检查后重新输入")
        raise Problem(503, "sms_unavailable", "短信发送暂时失败，请稍后重新获取验证码", headers={"Retry-After": "60"})
