"""Senders of login codes. The development outbox writes each message to a JSON-lines file.

It exists so that a person trying `make run` can read their code (the settings refuse it in
production). The Aliyun sender for production login codes is not built yet: choosing it makes
sending answer 503 rather than pretend to send.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from shared.db import utcnow
from shared.errors import Problem


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


class UnavailableSender:
    async def send_code(self, phone: str, code: str, minutes: int) -> None:
        raise Problem(503, "sms_unavailable", "短信验证码通道尚未接入，请使用微信小程序或联系管理员", headers={"Retry-After": "3600"})
