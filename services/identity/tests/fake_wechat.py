"""A local stand-in for api.weixin.qq.com: jscode2session, stable_token and getuserphonenumber.

It speaks WeChat's shapes (`{"errcode": .., "errmsg": ..}` on failure, HTTP 200 either way),
spends codes once, checks the AppID/AppSecret, and can expire the access token on demand to
prove the caller refreshes and retries.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Request

APPID = "wx0123456789abcdef"
SECRET = "test-app-secret-0123456789"


@dataclass
class FakeWechat:
    appid: str = APPID
    secret: str = SECRET
    login_codes: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # code → (openid, unionid)
    phone_codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # code → (phone, country, watermark appid)
    spent: set[str] = field(default_factory=set)
    fail_next: dict[str, int] = field(default_factory=dict)  # endpoint → errcode answered once
    expire_token_once: bool = False
    token: str | None = None
    token_requests: list[dict] = field(default_factory=list)
    session_keys: list[str] = field(default_factory=list)  # every session_key handed out
    calls: list[str] = field(default_factory=list)

    def login_code(self, openid: str | None = None, unionid: str | None = None) -> str:
        code = "login-" + secrets.token_hex(8)
        self.login_codes[code] = (openid or "o" + secrets.token_hex(13), unionid)
        return code

    def phone_code(self, phone: str, *, country: str = "86", appid: str | None = None) -> str:
        code = "phone-" + secrets.token_hex(8)
        self.phone_codes[code] = (phone, country, appid or self.appid)
        return code

    def openid_of(self, code: str) -> str:
        return self.login_codes[code][0]

    def app(self) -> FastAPI:
        app = FastAPI()

        def error(errcode: int, errmsg: str) -> dict:
            return {"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(4)}"}

        @app.get("/sns/jscode2session")
        async def jscode2session(appid: str = "", secret: str = "", js_code: str = "", grant_type: str = "") -> dict:
            self.calls.append("jscode2session")
            if errcode := self.fail_next.pop("jscode2session", None):
                return error(errcode, "injected")
            if appid != self.appid:
                return error(40013, "invalid appid")
            if secret != self.secret:
                return error(40125, "invalid appsecret")
            if grant_type != "authorization_code" or not js_code:
                return error(40029, "invalid code")
            if js_code in self.spent:
                return error(40163, "code been used")
            if js_code not in self.login_codes:
                return error(40029, "invalid code")
            self.spent.add(js_code)
            openid, unionid = self.login_codes[js_code]
            session_key = secrets.token_urlsafe(18)
            self.session_keys.append(session_key)
            body = {"openid": openid, "session_key": session_key}
            if unionid:
                body["unionid"] = unionid
            return body

        @app.post("/cgi-bin/stable_token")
        async def stable_token(request: Request) -> dict:
            body = await request.json()
            self.token_requests.append(body)
            if body.get("grant_type") != "client_credential":
                return error(40002, "invalid grant_type")
            if body.get("appid") != self.appid or body.get("secret") != self.secret:
                return error(40125, "invalid appsecret")
            if body.get("force_refresh") or self.token is None:
                self.token = "at-" + secrets.token_hex(16)
            return {"access_token": self.token, "expires_in": 7200}

        @app.post("/wxa/business/getuserphonenumber")
        async def getuserphonenumber(request: Request, access_token: str = "") -> dict:
            self.calls.append("getuserphonenumber")
            if self.expire_token_once and access_token == self.token:
                self.expire_token_once = False
                self.token = None  # that one is dead; only a refreshed one works
                return error(42001, "access_token expired")
            if not access_token or access_token != self.token:
                return error(40001, "invalid credential, access_token is invalid or not latest")
            if errcode := self.fail_next.pop("getuserphonenumber", None):
                return error(errcode, "injected")
            code = (await request.json()).get("code", "")
            if code in self.spent or code not in self.phone_codes:
                return error(40029, "invalid code")
            self.spent.add(code)
            phone, country, appid = self.phone_codes[code]
            return {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone if country == "86" else f"+{country}{phone}",
                    "purePhoneNumber": phone,
                    "countryCode": country,
                    "watermark": {"timestamp": int(time.time()), "appid": appid},
                },
            }

        return app
