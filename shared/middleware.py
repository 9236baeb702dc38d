"""ASGI middleware: correlation id from X-Request-ID, access log and request metrics; size caps."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import faults
from shared.context import correlation_id
from shared.db import new_id
from shared.errors import problem_response, unexpected_error_response
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContextMiddleware:
    """Adopts a well-formed X-Request-ID (or mints one), echoes it back, and logs the request."""

    def __init__(self, app: ASGIApp, service: str, api_prefix: str = "") -> None:
        self.app = app
        self.service = service
        self.api_prefix = api_prefix
        self.slow_requests = faults.enabled("http.slow")  # tests only: see shared/faults.py

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        cid = incoming if _VALID_ID.match(incoming) else new_id()
        token = correlation_id.set(cid)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                if self.slow_requests and (hold := headers.get(b"x-failpoint-slow-response")):
                    # The handler's transaction has committed: a death now loses only the answer.
                    await faults.slow_point("http.slow", float(hold), f"response to {scope.get('method')} {scope.get('path')}")
                started_response = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", cid.encode())]
            await send(message)

        try:
            if self.slow_requests and (hold := headers.get(b"x-failpoint-slow")):
                await faults.slow_point("http.slow", float(hold), f"{scope.get('method')} {scope.get('path')}")
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answer here, while the correlation id is still set: Starlette's own error
            # layer sits outside this middleware and would lose it.
            if started_response:
                log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                raise
            await unexpected_error_response(exc, scope.get("method"), scope.get("path"))(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # uvicorn cancels what outlasts SHUTDOWN_HTTP_TIMEOUT: say "retry" (its transaction
            # rolled back, or committed under an Idempotency-Key) instead of uvicorn's bare 500.
            if started_response:
                raise
            log.warning("%s %s cancelled by shutdown", scope.get("method"), scope.get("path"))
            await problem_response(
                503,
                "shutting_down",
                "服务正在停止，请稍后重试",
                instance=scope.get("path"),
                headers={"Retry-After": "1", "Connection": "close"},
            )(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = self._route_template(scope)
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
            if template not in ("/healthz", "/readyz", "/metrics"):
                log.info(
                    "%s %s %s",
                    method,
                    scope.get("path"),
                    status,
                    extra={"method": method, "path": scope.get("path"), "status": status, "duration_ms": round(elapsed * 1000, 1)},
                )
            correlation_id.reset(token)

    def _route_template(self, scope: Scope) -> str:
        """The matched route's template (never the concrete path: ids would explode the labels)."""
        path: str | None = getattr(scope.get("route"), "path", None)
        if path is None:
            return "unmatched"
        # Routers included under the service prefix report their own relative template.
        request_path: str = scope.get("path", "")
        if self.api_prefix and request_path.startswith(self.api_prefix) and not path.startswith(self.api_prefix):
            return self.api_prefix + path
        return path


class _BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` when a streamed body passes its cap; FastAPI lets HTTPExceptions through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_detail(limit))
        self.limit = limit


def _too_large_detail(limit: int) -> str:
    return f"请求内容过大：不得超过 {limit / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


class SizeLimitMiddleware:
    """Caps request headers (431) and bodies (413) before any of it is parsed.

    A declared Content-Length over the cap is refused without reading a byte of the body; a
    chunked body is counted as it streams and refused as soon as it passes the cap. Upload
    routes (`large`: path pattern → cap) get their own, larger cap.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_header_bytes: int, large: list[tuple[str, int]] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.large = [(re.compile(pattern), cap) for pattern, cap in (large or [])]

    def cap_for(self, path: str) -> int:
        return next((cap for pattern, cap in self.large if pattern.fullmatch(path)), self.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("headers") or []
        if sum(len(k) + len(v) + 4 for k, v in raw) > self.max_header_bytes:
            await problem_response(
                431,
                "request_headers_too_large",
                "请求头过大（如 Cookie 过多），请清理后重试",
                title="Request Header Fields Too Large",
                headers={"Connection": "close"},
            )(scope, receive, send)
            return
        limit = self.cap_for(scope.get("path", ""))
        declared = next((v for k, v in raw if k == b"content-length"), None)
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False  # the server refuses a malformed Content-Length itself
            if too_big:
                await self._refuse(scope, receive, send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await problem_response(413, "payload_too_large", _too_large_detail(limit), instance=scope.get("path"), max_bytes=limit)(
            scope, receive, send
        )
