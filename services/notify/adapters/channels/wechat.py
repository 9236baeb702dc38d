"""WeChat mini-program subscribe messages (小程序订阅消息), ``subscribeMessage.send``.

Two calls: the app-level access token (``GET /cgi-bin/token``, cached until shortly before
``expires_in`` runs out, fetched once however many sends are waiting for it) and the send
itself (``POST /cgi-bin/message/subscribe/send?access_token=...``). WeChat answers HTTP 200
with ``{"errcode": 0, "errmsg": "ok", "msgid": ...}`` or an error code:

* 40001 / 42001 / 40014 — the token is invalid or expired: drop it, fetch anew, retry once;
* 43101 — the user refused, or has no subscription left for this template: permanent;
* 47003 (template data wrong), 40003 (invalid openid), 40037 (invalid template id),
  41030 (invalid page) — permanent;
* -1 (system busy), 45009 (API quota reached), HTTP 5xx, network errors and unknown codes —
  transient.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from services.notify.adapters.channels import HttpChannel, OutgoingMessage, SendResult

DEFAULT_BASE_URL = "https://api.weixin.qq.com"

TOKEN_ERRCODES = frozenset({40001, 42001, 40014})
PERMANENT_ERRCODES = {
    43101: "user refused the subscribe message or has no subscription left for this template",
    47003: "template data does not match the template",
    40003: "invalid openid",
    40037: "invalid template_id",
    41030: "invalid page (not a published page of the mini-program)",
}
TRANSIENT_ERRCODES = frozenset({-1, 45009})  # system busy; API call quota reached


class _TokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WeChatSubscribe(HttpChannel):
    """A `Channel` that sends WeChat mini-program subscribe messages to an openid."""

    name = "wechat"

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        base_url: str = DEFAULT_BASE_URL,
        miniprogram_state: str = "formal",  # "developer" | "trial" | "formal"
        lang: str = "zh_CN",
        refresh_margin: float = 300.0,  # refresh this many seconds before expires_in runs out
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._appid = appid
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._miniprogram_state = miniprogram_state
        self._lang = lang
        self._refresh_margin = refresh_margin
        super().__init__(timeout, client)
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._lock = asyncio.Lock()

    # --- access token -----------------------------------------------------------------

    def _cached_token(self) -> str | None:
        if self._token is not None and self._clock() < self._token_expires_at:
            return self._token
        return None

    async def _access_token(self) -> str:
        token = self._cached_token()
        if token is not None:
            return token
        async with self._lock:
            token = self._cached_token()  # another send may have fetched it while we waited
            if token is not None:
                return token
            return await self._fetch_token()

    async def _fetch_token(self) -> str:
        try:
            response = await self._http().get(
                f"{self._base_url}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self._appid, "secret": self._secret},
            )
        except httpx.HTTPError as exc:
            raise _TokenError(f"token: network: {type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _TokenError(f"token: HTTP {response.status_code}: {response.text[:200]}")
        token = body.get("access_token")
        if not token:
            raise _TokenError(f"token: {body.get('errcode')}: {body.get('errmsg', '')}")
        expires_in = float(body.get("expires_in", 7200))
        self._token = str(token)
        self._token_expires_at = self._clock() + max(0.0, expires_in - self._refresh_margin)
        return self._token

    def _invalidate(self, token: str) -> None:
        # Only drop the token we used: a concurrent send may already have fetched a new one.
        if self._token == token:
            self._token = None
            self._token_expires_at = 0.0

    # --- send -----------------------------------------------------------------------

    def _payload(self, message: OutgoingMessage) -> dict:
        payload: dict = {
            "touser": message.to,
            "template_id": message.template_id,
            "data": {key: {"value": value} for key, value in message.params.items()},
            "miniprogram_state": self._miniprogram_state,
            "lang": self._lang,
        }
        if message.page:
            payload["page"] = message.page
        return payload

    async def send(self, message: OutgoingMessage) -> SendResult:
        if not message.template_id:
            return SendResult.failed("no template_id: a subscribe message needs one", permanent=True)
        payload = self._payload(message)
        for attempt in (1, 2):
            try:
                token = await self._access_token()
            except _TokenError as exc:
                return SendResult.failed(exc.reason, permanent=False)
            try:
                response = await self._http().post(
                    f"{self._base_url}/cgi-bin/message/subscribe/send",
                    params={"access_token": token},
                    json=payload,
                )
            except httpx.HTTPError as exc:
                return SendResult.failed(f"network: {type(exc).__name__}: {exc}", permanent=False)
            try:
                body = response.json()
            except ValueError:
                body = None
            if response.status_code >= 500 or not isinstance(body, dict) or "errcode" not in body:
                return SendResult.failed(f"HTTP {response.status_code}: {response.text[:200]}", permanent=False)
            errcode = int(body["errcode"])
            errmsg = str(body.get("errmsg", ""))
            if errcode == 0:
                msgid = body.get("msgid")
                return SendResult.sent(str(msgid) if msgid is not None else None)
            if errcode in TOKEN_ERRCODES:
                self._invalidate(token)
                if attempt == 1:
                    continue  # refresh the token and retry once
                return SendResult.failed(f"{errcode}: {errmsg}", permanent=False)
            if errcode in PERMANENT_ERRCODES:
                return SendResult.failed(f"{errcode}: {PERMANENT_ERRCODES[errcode]} ({errmsg})", permanent=True)
            return SendResult.failed(f"{errcode}: {errmsg}", permanent=False)
        raise AssertionError("unreachable")
