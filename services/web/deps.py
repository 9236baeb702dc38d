"""What every page handler needs: the session, rendering, the CSRF check, a fresh access token."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from services.web.backends import ApiProblem, Backends, BackendUnavailable
from services.web.session import Session
from services.web.settings import WebSettings

DISPLAY_MODES = {"standard": "标准版", "large": "大字版", "contrast": "高对比度", "large-contrast": "大字高对比度"}


class PageError(Exception):
    """A page that cannot be shown: rendered as the Chinese error page with this status."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def session(request: Request) -> Session:
    return request.state.session


def backends(request: Request) -> Backends:
    return request.app.state.backends


def settings(request: Request) -> WebSettings:
    return request.app.state.settings


CurrentSession = Annotated[Session, Depends(session)]
Api = Annotated[Backends, Depends(backends)]
Settings = Annotated[WebSettings, Depends(settings)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def display_mode(request: Request) -> str:
    mode = request.cookies.get("display", "standard")
    return mode if mode in DISPLAY_MODES else "standard"


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site: never an absolute URL or a scheme-relative one (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    s: Session = request.state.session
    base = {
        "session": s,
        "csrf_token": s.csrf,
        "display": display_mode(request),
        "display_modes": DISPLAY_MODES,
        "site_name": request.app.state.settings.site_name,
        "path": request.url.path,
        "path_with_query": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code, headers=headers)


def redirect(path: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(path, status_code=status_code)


def same_origin(request: Request) -> bool:
    """A POST must come from this site's own pages (Sec-Fetch-Site or Origin, where the browser sends them)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        return parts.netloc == request.headers.get("host", "")
    return True


async def checked_form(request: Request) -> FormData:
    """The posted form, after the CSRF check (token in the form equals the session's; same origin)."""
    form = await request.form(max_files=10, max_fields=200)
    token = form.get("csrf_token")
    s: Session = request.state.session
    if not same_origin(request) or not isinstance(token, str) or not secrets.compare_digest(token, s.csrf):
        raise PageError(403, "页面已过期", "页面已过期或来源不明，请返回上一页刷新后重新提交。")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


async def access_token(request: Request) -> str:
    """A valid access token for the signed-in person, refreshed through the identity service when due."""
    s: Session = request.state.session
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not s.signed_in:
        raise SignInRequired(next_path)
    if s.access_token and s.access_expires_at - 60 > time.time():
        return s.access_token
    refresher: Refresher = request.app.state.refresher
    try:
        tokens = await refresher.refresh(s.refresh_token or "", client_ip(request))
    except ApiProblem:
        s.sign_out()
        raise SignInRequired(next_path) from None
    s.store_tokens(tokens)
    assert s.access_token is not None
    return s.access_token


class Refresher:
    """Refresh tokens are single-use and a reused one revokes the whole session (identity's rule).

    A page and the downloads it links can arrive together carrying the same cookie: the first
    refreshes, the others wait for it and reuse its answer for a short while instead of
    presenting the spent refresh token again.
    """

    def __init__(self, api: Backends, keep_seconds: float = 30.0) -> None:
        self.api, self.keep = api, keep_seconds
        self.locks: dict[str, asyncio.Lock] = {}
        self.recent: dict[str, tuple[float, dict[str, Any]]] = {}

    async def refresh(self, refresh_token: str, ip: str) -> dict[str, Any]:
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        lock = self.locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                self._prune()
                if key in self.recent:
                    return self.recent[key][1]
                tokens = await self.api.post_json("identity", "/token/refresh", {"refresh_token": refresh_token}, client_ip=ip)
                self.recent[key] = (time.monotonic(), tokens)
                return tokens
        finally:
            if not lock.locked() and key not in self.recent:
                self.locks.pop(key, None)

    def _prune(self) -> None:
        now = time.monotonic()
        for key, (at, _) in list(self.recent.items()):
            if now - at > self.keep:
                del self.recent[key]
                if not self.locks.get(key, asyncio.Lock()).locked():
                    self.locks.pop(key, None)


AccessToken = Annotated[str, Depends(access_token)]


async def end_session(request: Request, api: Backends, s: Session) -> None:
    """Sign out here whatever identity answers; the refresh token's family is revoked there when it can be."""
    if s.refresh_token:
        try:
            await api.post_json("identity", "/logout", {"refresh_token": s.refresh_token}, client_ip=client_ip(request))
        except (ApiProblem, BackendUnavailable):
            pass
    s.sign_out()


def sign_in_url(next_path: str) -> str:
    """Citizens sign in by SMS; the workbench's pages send officers to their own sign-in page."""
    page = "/office/signin" if next_path == "/office" or next_path.startswith("/office/") else "/signin"
    return f"{page}?next={quote(next_path, safe='/')}"
