"""The browser's session: an encrypted, HttpOnly cookie; a CSRF token in every form.

The web service keeps no state of its own, so the session lives in the cookie, sealed with
AES-GCM under a key derived from WEB_SESSION_SECRET (any replica can read it, nobody can read
or change it in the browser). It holds the identity service's access and refresh tokens: they
never reach a URL, a page, or storage a script can read. Every form carries the session's CSRF
token; a POST without it, or from another origin, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request
from starlette.responses import Response

from services.web.settings import WebSettings

_AAD = b"gov-disclosure-web-session-v1"


@dataclass
class Session:
    """What the cookie carries; `changed` says whether it must be written back."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    access_token: str | None = None
    refresh_token: str | None = None
    access_expires_at: float = 0.0
    sub: str | None = None
    name: str | None = None
    phone_masked: str | None = None
    # Officers (the workbench) only: roles and agency as identity granted them for this session.
    kind: str | None = None
    roles: list[str] = field(default_factory=list)
    agency_id: str | None = None
    agency_name: str | None = None
    flash: dict[str, Any] | None = None
    sso_state: str | None = None  # the single sign-on this browser started (officers), until its callback
    sso_next: str | None = None  # the workbench page that single sign-on returns to
    created_at: float = field(default_factory=time.time)
    changed: bool = False
    fresh: bool = True

    @property
    def signed_in(self) -> bool:
        return bool(self.refresh_token)

    @property
    def is_officer(self) -> bool:
        return self.signed_in and self.kind == "officer"

    def has_any(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))

    def sign_in(self, tokens: dict[str, Any], *, name: str | None, phone_masked: str | None) -> None:
        # A new CSRF token at sign-in: a token learnt before cannot ride the new session.
        self.csrf = secrets.token_urlsafe(24)
        self.store_tokens(tokens)
        account = tokens.get("account") or {}
        self.name, self.phone_masked = name, phone_masked
        self.kind = account.get("kind")
        self.roles = list(account.get("roles") or [])
        self.agency_id = account.get("agency_id")
        self.agency_name = None
        self.created_at = time.time()

    def store_tokens(self, tokens: dict[str, Any]) -> None:
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token") or self.refresh_token
        self.access_expires_at = time.time() + int(tokens.get("expires_in", 900))
        if (account := tokens.get("account")) and self.kind == "officer":
            # A refresh carries the roles the directory grants now: a revoked role leaves the screens at once.
            self.roles = list(account.get("roles") or [])
        self.changed = True

    def sign_out(self) -> None:
        self.access_token = self.refresh_token = self.sub = self.name = self.phone_masked = None
        self.kind = self.agency_id = self.agency_name = None
        self.roles = []
        self.access_expires_at = 0.0
        self.csrf = secrets.token_urlsafe(24)
        self.changed = True

    def set_flash(self, **values: Any) -> None:
        self.flash = values
        self.changed = True

    def pop_flash(self) -> dict[str, Any]:
        values, self.flash = self.flash or {}, None
        if values:
            self.changed = True
        return values

    def to_json(self) -> bytes:
        data = {k: v for k, v in self.__dict__.items() if k not in ("changed", "fresh")}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class SessionCodec:
    def __init__(self, settings: WebSettings) -> None:
        self.aead = AESGCM(hashlib.sha256(b"web-session:" + settings.session_secret.get_secret_value().encode()).digest())
        self.max_age = settings.session_max_age_seconds
        self.secure = settings.secure_cookies
        # __Host- cookies must be Secure, host-only and path=/: nothing on a sibling host can set them.
        self.cookie_name = "__Host-session" if self.secure else "session"

    def load(self, request: Request) -> Session:
        raw = request.cookies.get(self.cookie_name)
        if raw:
            try:
                blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
                data = json.loads(self.aead.decrypt(blob[:12], blob[12:], _AAD))
                session = Session(**data)
                if time.time() - session.created_at <= self.max_age:
                    session.fresh = False
                    return session
            except (ValueError, TypeError, InvalidTag, json.JSONDecodeError):
                pass
        return Session(changed=True)

    def save(self, session: Session, response: Response) -> None:
        nonce = secrets.token_bytes(12)
        blob = nonce + self.aead.encrypt(nonce, session.to_json(), _AAD)
        response.set_cookie(
            self.cookie_name,
            base64.urlsafe_b64encode(blob).decode().rstrip("="),
            max_age=self.max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
