"""Senders of login codes. The development outbox writes each message to a JSON-lines file.

It exists so that a person trying `make run` can read their code (the settings refuse it in
production). In production `AliyunSender` calls Aliyun SMS.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import httpx

from shared.db import utcnow
from shared.errors import Problem

log = logging.getLogger(__name__)

ALGORITHM = "ACS3-HMAC-SHA256"
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
        host = urlsplit(self.endpoint).netloc
        headers = {
            "host": host,
            "x-acs-action": "SendSms",
            "x-acs-version": API_VERSION,
            "x-acs-date": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
        }
        query = canonical_query(params)
        signed, signature = acs3_signature(self.access_key_secret, "POST", "/", query, headers, headers["x-acs-content-sha256"])
        headers["Authorization"] = f"{ALGORITHM} Credential={self.access_key_id},SignedHeaders={signed},Signature={signature}"
        return f"{self.endpoint}/?{query}", headers

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


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as ACS3 wants it: only A-Z a-z 0-9 - _ . ~ stay as they are (space is %20)."""
    return quote(value, safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def acs3_signature(secret: str, method: str, path: str, query: str, headers: dict[str, str], payload_sha256: str) -> tuple[str, str]:
    """(SignedHeaders, Signature): host, content-type and every x-acs-* header, lower-cased and sorted."""
    chosen = sorted(
        (k.lower(), v.strip()) for k, v in headers.items() if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")
    )
    signed = ";".join(k for k, _ in chosen)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in chosen)
    canonical_request = "\n".join([method, path, query, canonical_headers, signed, payload_sha256])
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    return signed, hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
