"""The other services' REST APIs, called as any county frontend would call them.

A 4xx answer becomes `ApiProblem` (its machine code, Chinese detail and field errors, for the
page to show by the field); a 5xx answer or an unreachable service becomes `BackendUnavailable`
(the page says so in Chinese and answers 503). The caller's address goes along as
X-Forwarded-For, so the identity service's per-address limits count the person, not this service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from services.web.settings import WebSettings

SERVICES = ("catalog", "requests", "notify", "audit", "identity")


@dataclass
class ApiProblem(Exception):
    status: int
    code: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"


class BackendUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service


class Backends:
    def __init__(self, settings: WebSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.urls = {name: getattr(settings, f"{name}_url").rstrip("/") for name in SERVICES}
        self.client = httpx.AsyncClient(
            timeout=settings.api_timeout_seconds,
            transport=transport,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def call(
        self, service: str, method: str, path: str, *, token: str | None = None, client_ip: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One API call; answers only 2xx (and 304), raises ApiProblem or BackendUnavailable otherwise."""
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_ip:
            headers["X-Forwarded-For"] = client_ip
        url = f"{self.urls[service]}/api/v1/{service}{path}" if not path.startswith("/.well-known") else self.urls[service] + path
        try:
            resp = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(service, type(exc).__name__) from exc
        return self._checked(service, resp)

    async def open_stream(self, service: str, path: str, **kwargs: Any) -> httpx.Response:
        """A GET whose body is not read yet, for passing a file through; the caller must `aclose()` it.
        Errors as `call` (the error body, being small, is read first)."""
        request = self.client.build_request("GET", f"{self.urls[service]}/api/v1/{service}{path}", **kwargs)
        try:
            resp = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(service, type(exc).__name__) from exc
        if resp.status_code >= 400:
            try:
                await resp.aread()
            except httpx.HTTPError as exc:
                raise BackendUnavailable(service, type(exc).__name__) from exc
            finally:
                await resp.aclose()
        return self._checked(service, resp)

    @staticmethod
    def _checked(service: str, resp: httpx.Response) -> httpx.Response:
        if resp.status_code >= 500:
            raise BackendUnavailable(service, f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            try:
                body = resp.json()
            except ValueError:
                body = {}
            raise ApiProblem(
                resp.status_code,
                str(body.get("code") or f"http_{resp.status_code}"),
                str(body.get("detail") or "请求未能完成"),
                list(body.get("errors") or []),
                {k: v for k, v in resp.headers.items() if k.lower() == "retry-after"},
            )
        return resp

    async def get_json(self, service: str, path: str, **kwargs: Any) -> Any:
        return (await self.call(service, "GET", path, **kwargs)).json()

    async def post_json(self, service: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        resp = await self.call(service, "POST", path, json=body, **kwargs)
        return resp.json() if resp.content else None

    async def ready(self) -> dict[str, bool]:
        """Whether each service answers /readyz (the site works only with all of them)."""
        result = {}
        for name, base in self.urls.items():
            try:
                result[name] = (await self.client.get(f"{base}/readyz", timeout=2)).status_code == 200
            except httpx.HTTPError:
                result[name] = False
        return result
