"""Stub providers for the SMS (Aliyun Dysmsapi) and WeChat subscribe-message channels.

Real HTTP servers (Starlette under uvicorn on 127.0.0.1) speaking the providers' formats. The SMS
stub re-derives the V3 signature (ACS3-HMAC-SHA256) from the request it received, with its own
copy of the shared secret and its own canonicalisation written from Aliyun's documentation, and
refuses a mismatch, a stale time or a reused nonce the way Aliyun does; given approved templates,
it refuses unknown TemplateCodes, missing variables and over-long values. The WeChat stub checks
the access token, the template id and its data keys, and WeChat's value limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from shared.testing import free_port


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if task.done():
        task.result()
    assert server.started, "stub server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


ACCESS_KEY_ID = "LTAI-test-id"
ACCESS_KEY_SECRET = "test-secret/+=*~"
SIGN_NAME = "政务公开"

ALIYUN_MESSAGES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.BLACK_KEY_CONTROL_LIMIT": "模板变量中存在黑名单关键字",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控Permits:10",
    "isp.SYSTEM_ERROR": "系统异常",
}


def aliyun_encode(s: str) -> str:
    # Independent of the adapter: encode everything but RFC 3986 unreserved characters.
    unreserved = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
    return "".join(chr(b) if chr(b) in unreserved else f"%{b:02X}" for b in s.encode("utf-8"))


# Every header Aliyun's V3 documentation says a request carries and signs.
V3_SIGNED_HEADERS = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}


def aliyun_expected_signature(
    secret: str, method: str, path: str, raw_query: str, headers: dict[str, str], signed: list[str], body: bytes
) -> str:
    """The V3 signature as Aliyun recomputes it from what arrived (headers: lower-case names)."""
    pairs = sorted(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
    query = "&".join(f"{aliyun_encode(k)}={aliyun_encode(v)}" if v else aliyun_encode(k) for k, v in pairs)
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    canonical = "\n".join([method, path, query, canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class SmsStub:
    secret: str = ACCESS_KEY_SECRET
    codes: dict[str, str] = field(default_factory=dict)  # phone → error Code to answer
    http_500_for: set[str] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    raw_queries: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # each request's headers, names lower-cased
    # Approved templates: TemplateCode → its variable names; None accepts any template (channel tests).
    templates: dict[str, set[str]] | None = None

    def app(self) -> Starlette:
        async def rpc(request: Request):
            raw = request.url.query
            body = await request.body()
            self.raw_queries.append(raw)
            params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.requests.append(params)
            self.headers.append(headers)
            request_id = f"REQ-{len(self.requests)}"

            def error(code: str, message: str, status: int = 400) -> JSONResponse:
                return JSONResponse({"RequestId": request_id, "Code": code, "Message": message}, status_code=status)

            algorithm, _, rest = headers.get("authorization", "").partition(" ")
            fields = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
            signed = fields.get("SignedHeaders", "").split(";")
            if algorithm != "ACS3-HMAC-SHA256" or not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
                return error("IncompleteSignature", "The request signature does not conform to Aliyun standards.")
            if not V3_SIGNED_HEADERS <= set(signed) or signed != sorted(signed) or not all(name in headers for name in signed):
                return error("IncompleteSignature", "The request signature does not conform to Aliyun standards.")
            if fields["Credential"] != ACCESS_KEY_ID:
                return error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
            if headers["x-acs-content-sha256"] != hashlib.sha256(body).hexdigest():
                return error("InvalidParameter", "x-acs-content-sha256 is not the body's SHA-256")
            expected = aliyun_expected_signature(self.secret, request.method, request.url.path, raw, headers, signed, body)
            if not hmac.compare_digest(fields["Signature"], expected):
                return error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
            if (headers["x-acs-action"], headers["x-acs-version"]) != ("SendSms", "2017-05-25"):
                return error("InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404)
            try:
                sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            except ValueError:
                return error("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
            if abs(datetime.now(UTC) - sent_at) > timedelta(minutes=15):
                return error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
            nonce = headers["x-acs-signature-nonce"]
            if nonce in self.nonces:
                return error("SignatureNonceUsed", "Specified signature nonce was used already.")
            self.nonces.add(nonce)
            missing = [p for p in ("PhoneNumbers", "SignName", "TemplateCode") if p not in params]
            if missing:
                return error("MissingParameter", f"missing {missing}")
            phone = params["PhoneNumbers"]
            if phone in self.http_500_for:
                return PlainTextResponse("upstream connect error", status_code=503)
            if phone in self.codes:
                code = self.codes[phone]
                return JSONResponse({"RequestId": request_id, "Code": code, "Message": ALIYUN_MESSAGES.get(code, code)})
            values = json.loads(params.get("TemplateParam", "{}"))
            if self.templates is not None:
                if params["TemplateCode"] not in self.templates:
                    return JSONResponse({"RequestId": request_id, "Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板"})
                if not self.templates[params["TemplateCode"]] <= set(values):
                    return JSONResponse({"RequestId": request_id, "Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"})
                if any(len(str(v)) > 35 for v in values.values()):
                    return JSONResponse({"RequestId": request_id, "Code": "isv.PARAM_LENGTH_LIMIT", "Message": "参数超出长度限制"})
            return JSONResponse({"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"BIZ-{len(self.requests)}^0"})

        return Starlette(routes=[Route("/", rpc, methods=["POST"])])


APPID = "wx-test-app"
APPSECRET = "wx-test-secret"
TEMPLATE_ID = "TPL-reply-ready"
TEMPLATE_KEYS = {"thing1", "time2"}
WECHAT_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10, "time": None, "date": None, "amount": None}


@dataclass
class WeChatStub:
    expires_in: int = 7200
    token_delay: float = 0.0
    token_fetches: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    unsubscribed: set[str] = field(default_factory=set)
    openid_errcode: dict[str, int] = field(default_factory=dict)  # openid → errcode to answer
    always_expire: bool = False  # every token comes back expired on use
    http_500: bool = False
    sends: list[dict] = field(default_factory=list)
    send_tokens: list[str] = field(default_factory=list)
    # The mini-program's chosen templates: template_id → its data keys.
    templates: dict[str, set[str]] = field(default_factory=lambda: {TEMPLATE_ID: TEMPLATE_KEYS})

    def expire_all(self) -> None:
        self.expired_tokens |= self.valid_tokens
        self.valid_tokens.clear()

    def app(self) -> Starlette:
        async def token(request: Request):
            q = request.query_params
            if q.get("grant_type") != "client_credential":
                return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
            if q.get("appid") != APPID:
                return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
            if q.get("secret") != APPSECRET:
                return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
            self.token_fetches += 1
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            tok = f"ACCESS_TOKEN_{self.token_fetches}"
            self.valid_tokens.add(tok)
            return JSONResponse({"access_token": tok, "expires_in": self.expires_in})

        async def send(request: Request):
            if self.http_500:
                return PlainTextResponse("Bad Gateway", status_code=502)
            tok = request.query_params.get("access_token", "")
            self.send_tokens.append(tok)
            if self.always_expire and tok in self.valid_tokens:
                self.expire_all()
            if tok in self.expired_tokens:
                return JSONResponse({"errcode": 42001, "errmsg": "access_token expired rid: 1"})
            if tok not in self.valid_tokens:
                return JSONResponse({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
            body = await request.json()
            self.sends.append(body)
            openid = body.get("touser", "")
            if openid in self.openid_errcode:
                code = self.openid_errcode[openid]
                return JSONResponse(
                    {"errcode": code, "errmsg": {-1: "system error", 45009: "reach max api daily quota limit"}.get(code, "err")}
                )
            if not openid.startswith("o"):
                return JSONResponse({"errcode": 40003, "errmsg": "invalid openid"})
            if body.get("template_id") not in self.templates:
                return JSONResponse({"errcode": 40037, "errmsg": "invalid template_id"})
            data = body.get("data", {})
            if set(data) != self.templates[body["template_id"]] or not all(
                isinstance(v, dict) and set(v) == {"value"} for v in data.values()
            ):
                return JSONResponse({"errcode": 47003, "errmsg": "argument invalid! data.thing1.value is empty"})
            for key, v in data.items():
                limit = next((n for prefix, n in WECHAT_LIMITS.items() if re.fullmatch(rf"{prefix}\d+", key)), None)
                if not str(v["value"]) or (limit and len(str(v["value"])) > limit):
                    return JSONResponse({"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value exceeds limit"})
            if body.get("miniprogram_state") not in {"developer", "trial", "formal"} or body.get("lang") != "zh_CN":
                return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
            if openid in self.unsubscribed:
                return JSONResponse({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
            return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(self.sends)})

        return Starlette(
            routes=[
                Route("/cgi-bin/token", token, methods=["GET"]),
                Route("/cgi-bin/message/subscribe/send", send, methods=["POST"]),
            ]
        )
