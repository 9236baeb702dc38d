"""Requests service assembly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from shared.consumer import Subscription
from shared.contracts.catalog import AgencyRegistered, AgencyUpdated
from shared.contracts.topics import CATALOG_AGENCIES, REQUESTS_REQUESTS
from shared.service import ServiceRuntime, ServiceSpec, create_service_app

from services.requests.adapters.orm import Base, plumbing
from shared.storage import storage_from_settings
from services.requests.api import agencies, attachments, calendar, public, requests
from services.requests.service.agency_replica import on_agency_registered
from services.requests.service.scheduler import run_forever
from services.requests.settings import RequestsSettings, get_settings


def county_today(settings: RequestsSettings):
    zone = ZoneInfo(settings.timezone)
    return lambda: datetime.now(zone).date()


def build_spec(settings: RequestsSettings | None = None) -> ServiceSpec:
    settings = settings or get_settings()

    async def scheduler(runtime: ServiceRuntime, stop) -> None:
        # `serve` points runtime.today at the app's (possibly pinned) clock; a `worker` has no app.
        county = county_today(settings)
        await run_forever(runtime.uow, lambda: getattr(runtime, "today", county)(), stop, settings.scheduler_interval_seconds, settings.reminder_days_before)

    return ServiceSpec(
        name="requests",
        title="政府信息公开 · 依申请公开服务",
        description="依申请公开：受理、补正、征求意见、收费、延期、保密审查、答复与救济，按工作日计时。",
        settings=settings,
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[requests.router, public.router, attachments.router, calendar.router, agencies.router],
        produces=[REQUESTS_REQUESTS],
        subscriptions=[Subscription("agency-replica", [CATALOG_AGENCIES], {AgencyRegistered.event_type: on_agency_registered,
                                                                        AgencyUpdated.event_type: on_agency_registered})],
        background=[scheduler] if settings.run_scheduler else [],
    )


def create_app(settings: RequestsSettings | None = None) -> FastAPI:
    spec = build_spec(settings)

    def on_startup(app: FastAPI, runtime: ServiceRuntime) -> None:
        runtime.today = lambda: app.state.today()  # the scheduler follows the same (possibly pinned) clock

    app = create_service_app(spec, on_startup=on_startup)
    app.state.today = county_today(spec.settings)
    app.state.storage = storage_from_settings(spec.settings)
    return app

