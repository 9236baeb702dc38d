"""The county's public disclosure site (and, later, the officers' workbench): server-rendered pages over the APIs.

Pages are plain HTML forms and links that work without JavaScript; htmx (a static file, no
CDN) only boosts them. Every response carries a Content-Security-Policy without inline script,
every form a CSRF token, and every error is a Chinese page without a stack trace.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from services.web import filters
from services.web.backends import ApiProblem, Backends, BackendUnavailable
from services.web.deps import PageError, Refresher, SignInRequired, redirect, render, sign_in_url
from services.web.pages import ROUTERS
from services.web.session import Session, SessionCodec
from services.web.settings import WebSettings, get_settings
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.warmup import warm_up_app

HERE = Path(__file__).parent
log = logging.getLogger("web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(settings: WebSettings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        warm_up_app(app)
        yield
        await app.state.backends.aclose()

    app = FastAPI(title="政府信息公开网站", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.backends = Backends(settings, transport)
    app.state.refresher = Refresher(app.state.backends)
    app.state.codec = SessionCodec(settings)
    templates = Jinja2Templates(directory=HERE / "templates")
    filters.install(templates.env)
    app.state.templates = templates

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next) -> Response:
        codec: SessionCodec = app.state.codec
        request.state.session = codec.load(request)
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels("web", request.method, template, str(response.status_code)).inc()
        HTTP_LATENCY.labels("web", request.method, template).observe(time.perf_counter() - started)
        s: Session = request.state.session
        if s.changed and not request.url.path.startswith("/static/"):
            codec.save(s, response)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.url.path.startswith("/static/"):
            # Pages can carry personal data: no shared cache keeps them, and the back button re-asks.
            response.headers.setdefault("Cache-Control", "no-store" if s.signed_in else "no-cache")
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await app.state.backends.ready()
        return JSONResponse(
            {"status": "ready" if all(checks.values()) else "not_ready", "checks": checks}, status_code=200 if all(checks.values()) else 503
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    install_error_pages(app)
    return app


def _error_page(request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    if not hasattr(request.state, "session"):
        request.state.session = request.app.state.codec.load(request)
    # The workbench's pages fail inside the workbench's own layout (its navigation, its sign-out).
    template = "office/error.html" if request.url.path == "/office" or request.url.path.startswith("/office/") else "error.html"
    return render(request, template, {"title": title, "detail": detail, "status": status}, status_code=status, headers=headers)


_STATUS_TEXT = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页检查后重试。"),
    403: ("无权访问", "您无权查看此页面。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除，请检查网址，或从首页重新进入。"),
    405: ("请求方式不正确", "此页面不支持该操作，请从页面上的链接或按钮进入。"),
    413: ("提交的内容过大", "提交的内容超过了允许的大小，请缩小文件后重试。"),
    429: ("操作过于频繁", "操作过于频繁，请稍后再试。"),
}


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(PageError)
    async def _page(request: Request, exc: PageError) -> Response:
        return _error_page(request, exc.status, exc.title, exc.detail, exc.headers)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return redirect(sign_in_url(exc.next_path))

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> Response:
        log.warning("backend unavailable: %s", exc)
        return _error_page(request, 503, "服务暂时不可用", "系统正在维护或繁忙，请稍后再试。您已填写的内容未提交。", {"Retry-After": "30"})

    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> Response:
        status = exc.status if exc.status in (403, 404, 409, 413, 415, 429) else 400
        titles = {403: "无权访问", 404: "未找到", 409: "操作未能完成", 413: "文件过大", 415: "文件类型不支持", 429: "操作过于频繁"}
        return _error_page(request, status, titles.get(status, "请求有误"), exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title, detail = _STATUS_TEXT.get(exc.status_code, ("请求未能完成", "请求未能完成，请稍后再试。"))
        return _error_page(request, exc.status_code, title, detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error_page(request, 400, *_STATUS_TEXT[400])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_page(request, 500, "系统出现错误", "系统出现错误，我们已记录此问题。请稍后再试，或从首页重新进入。")


def app_factory() -> Any:
    return create_app()
