"""Service runtime and FastAPI app factory: every service is built the same way.

A service declares a `ServiceSpec` (its settings, metadata, migrations, routers, the
topics it produces and the subscriptions it consumes). The runtime owns the engine,
the outbox relay and the consumer runners; the app exposes `/healthz`, `/readyz`,
`/metrics` and the service's routers under `/api/v1/<service>/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import swagger_ui_bundle
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData

from shared import migrate
from shared.auth import TokenVerifier
from shared.consumer import ConsumerRunner, Subscription
from shared.contracts.topics import PLATFORM_OPERATIONS
from shared.db import create_engine, ping, session_factory
from shared.errors import PROBLEM_RESPONSES, install_problem_handlers, problem_response
from shared.kafka import broker_reachable
from shared.logging import configure_logging
from shared.middleware import RequestContextMiddleware, SizeLimitMiddleware
from shared.operations import purge_expired
from shared.periodic import every
from shared.plumbing import Plumbing
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork
from shared.warmup import warm_up_app
from shared.workdays import county_today

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    settings: ServiceSettings
    metadata: MetaData
    plumbing: Plumbing
    migrations: Path
    routers: list[APIRouter] = field(default_factory=list)
    produces: list[str] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    # Extra background loops (e.g. a scheduler), run with the relay and consumers.
    background: list[Callable[[ServiceRuntime, asyncio.Event], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # Work done once before the process says it is ready (e.g. loading a dictionary): blocking
    # functions, run in a thread so the event loop stays free.
    warm_up: list[Callable[[], object]] = field(default_factory=list)
    # Upload routes: (path pattern under api_prefix, byte cap) instead of settings.max_body_bytes.
    large_bodies: list[tuple[str, int]] = field(default_factory=list)

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    @property
    def api_prefix(self) -> str:
        return f"/api/v1/{self.name}"


class ServiceRuntime:
    """Engine, sessions, relay and consumers of one service process."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self.settings = spec.settings
        self.engine = create_engine(self.settings.database_url, pool_size=self.settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        # The county's date for schedulers; under `serve` it follows the app's (possibly pinned) clock.
        self.today: Callable[[], date] = county_today(self.settings.timezone)
        # Any process of a service may record an operator's replay on platform.operations.
        self.relay = OutboxRelay(self.sessions, spec.plumbing, self.settings, [*spec.produces, PLATFORM_OPERATIONS])
        self.consumers = [ConsumerRunner(s, self.uow, self.settings, spec.plumbing.inbox) for s in spec.subscriptions]
        self._stop = asyncio.Event()  # consumers and background loops
        self._stop_relay = asyncio.Event()  # set only once nothing else in this process can write events
        self._tasks: list[asyncio.Task[None]] = []
        self._relay_task: asyncio.Task[None] | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.spec.plumbing, self.settings, on_commit=self.relay.wake)

    async def migrate(self) -> None:
        await asyncio.to_thread(migrate.upgrade, self.spec.migrations, self.settings.database_url, self.spec.version_table)

    def start_workers(self) -> None:
        """Run the relay and every consumer as background tasks of this process."""
        self._relay_task = asyncio.create_task(self.relay.run(self._stop_relay), name=f"{self.spec.name}-relay")
        for runner in self.consumers if self.settings.run_consumers else []:
            self._tasks.append(asyncio.create_task(runner.run(self._stop), name=f"{runner.group_id}-consumer"))
        self._tasks.append(asyncio.create_task(self._retention(self._stop), name=f"{self.spec.name}-retention"))
        for i, loop in enumerate(self.spec.background):
            self._tasks.append(asyncio.create_task(loop(self, self._stop), name=f"{self.spec.name}-background-{i}"))

    async def _retention(self, stop: asyncio.Event) -> None:
        """Delete expired outbox and inbox rows now and then (every replica may: the deletes are idempotent)."""
        await every(
            self.settings.retention_interval_seconds,
            stop,
            lambda: purge_expired(self.sessions, self.spec.plumbing, self.settings),
            what="retention",
            log=log,
        )

    async def stop(self, timeout: float | None = None) -> None:
        """Stop consumers and loops (each commits what it finished), then flush the relay, close the engine.

        Both share one budget, `shutdown_worker_timeout` by default, of which consumers and loops
        get at most half; what is still running at its deadline is cancelled, and its uncommitted
        work is replayed (consumers) or resent (relay) by the next start.
        """
        budget = timeout if timeout is not None else self.settings.shutdown_worker_timeout
        deadline = asyncio.get_running_loop().time() + budget
        self._stop.set()
        await self._finish(self._tasks, deadline - budget / 2)
        # Only now: the consumers and loops above may have committed events of their own.
        self._stop_relay.set()
        await self._finish([self._relay_task] if self._relay_task else [], deadline)
        self._tasks.clear()
        self._relay_task = None
        await self.engine.dispose()
        log.info("%s stopped", self.spec.name)

    @staticmethod
    async def _finish(tasks: list[asyncio.Task[None]], deadline: float) -> None:
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        for task in pending:
            log.warning("worker %s did not stop in time; cancelling it", task.get_name())
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception():
                log.error("worker %s ended with %r", task.get_name(), task.exception())

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(ping(self.engine), timeout=3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        checks["broker"] = "ok" if await broker_reachable(self.settings) else "unreachable"
        for runner in self.consumers:
            if runner.outage:  # a message waiting for the database to come back (retried without limit)
                checks[f"consumer {runner.group_id}"] = f"waiting: {runner.outage}"
        return checks


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _uow_dependency(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's unit of work: committed after the handler returns, before the response."""
    async with request.app.state.runtime.uow() as uow:
        yield uow
        await uow.commit()


UoW = Annotated[UnitOfWork, Depends(_uow_dependency, scope="function")]


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["运维"])

    @router.get("/healthz", summary="存活检查（公开）")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="就绪检查：数据库与消息代理可达（公开）")
    async def readyz(request: Request) -> Response:
        checks = await request.app.state.runtime.readiness()
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        return problem_response(503, "not_ready", "服务尚未就绪：数据库或消息代理不可达", checks=checks)

    @router.get("/metrics", summary="Prometheus 指标（内部网络）", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(spec: ServiceSpec) -> FastAPI:
    """Build the FastAPI app of a service: lifespan, problem handlers, middleware, routes."""
    settings = spec.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, settings.log_level, settings.log_json)
        runtime = ServiceRuntime(spec)
        if settings.migrate_on_start:
            await runtime.migrate()
        for warm in spec.warm_up:  # before the first request and before /readyz answers
            await asyncio.to_thread(warm)
        warm_up_app(app)
        app.state.runtime = runtime
        runtime.today = lambda: app.state.today()
        if settings.run_workers:
            runtime.start_workers()
        log.info("%s ready on %s", spec.name, settings.database_url.split("@")[-1])
        try:
            yield
        finally:
            await runtime.stop()
            if (storage := getattr(app.state, "storage", None)) is not None:
                await storage.aclose()  # the S3 client and its connection pool

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served below from the package's own files: a county network (政务外网) reaches no CDN
        redoc_url=None,
        responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 403, 422)},
    )
    app.state.settings = settings
    app.state.today = county_today(settings.timezone)  # tests may pin it
    app.state.verifier = TokenVerifier(settings)
    install_problem_handlers(app)
    app.add_middleware(
        SizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        large=[(spec.api_prefix + pattern, cap) for pattern, cap in spec.large_bodies],
    )
    app.add_middleware(RequestContextMiddleware, service=spec.name, api_prefix=spec.api_prefix)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "ETag", "Location"],
        )
    app.include_router(_ops_router())
    _add_offline_docs(app, spec.api_prefix)
    for router in spec.routers:
        app.include_router(router, prefix=spec.api_prefix)
    _add_problem_schema(app)
    return app


def _add_offline_docs(app: FastAPI, prefix: str) -> None:
    """Swagger UI at `<prefix>/docs`, its script and styles from the installed swagger-ui-bundle-v2 package."""
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name=f"docs-assets-{prefix}")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} · 接口文档",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )


def _add_problem_schema(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
            "type": "object",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string", "description": "中文说明"},
                "code": {"type": "string", "description": "稳定的机器可读错误码"},
                "instance": {"type": "string"},
                "correlation_id": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
