"""Requests service assembly."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.requests.adapters.orm import Base, plumbing
from services.requests.api import agencies, assignees, attachments, calendar, notices, public, requests
from services.requests.service.accounts import MergedAccountVerifier, on_accounts_merged
from services.requests.service.agency_replica import on_agency_registered
from services.requests.service.officer_replica import on_officer_changed
from services.requests.service.scheduler import run_forever
from services.requests.settings import RequestsSettings, get_settings
from shared.consumer import Subscription
from shared.contracts.catalog import AgencyRegistered, AgencyUpdated
from shared.contracts.identity import AccountsMerged, OfficerChanged
from shared.contracts.topics import CATALOG_AGENCIES, IDENTITY_ACCOUNTS, IDENTITY_OFFICERS, REQUESTS_REQUESTS
from shared.ratelimit import RateLimiter
from shared.service import ServiceRuntime, ServiceSpec, create_service_app
from shared.storage import storage_from_settings

MULTIPART_OVERHEAD = 64 * 1024  # form boundaries and part headers around one file


def build_spec(settings: RequestsSettings | None = None) -> ServiceSpec:
    settings = settings or get_settings()

    async def scheduler(runtime: ServiceRuntime, stop) -> None:
        await run_forever(runtime.uow, lambda: runtime.today(), stop, settings.scheduler_interval_seconds, settings.reminder_days_before)

    return ServiceSpec(
        name="requests",
        title="政府信息公开 · 依申请公开服务",
        description="依申请公开：受理、补正、征求意见、收费、延期、保密审查、答复与救济，按工作日计时。",
        settings=settings,
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[requests.router, assignees.router, public.router, attachments.router, calendar.router, agencies.router, notices.router],
        produces=[REQUESTS_REQUESTS],
        subscriptions=[
            Subscription(
                "agency-replica",
                [CATALOG_AGENCIES],
                {AgencyRegistered.event_type: on_agency_registered, AgencyUpdated.event_type: on_agency_registered},
            ),
            Subscription("accounts", [IDENTITY_ACCOUNTS], {AccountsMerged.event_type: on_accounts_merged}),
            Subscription("officer-replica", [IDENTITY_OFFICERS], {OfficerChanged.event_type: on_officer_changed}),
        ],
        background=[scheduler] if settings.run_scheduler else [],
        large_bodies=[("/attachments", settings.attachment_max_bytes + MULTIPART_OVERHEAD)],
    )


def create_app(settings: RequestsSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    spec = build_spec(settings)
    app = create_service_app(spec)
    app.state.storage = storage_from_settings(settings)
    app.state.limiter = RateLimiter(settings.rate_limit_storage)
    app.state.verifier = MergedAccountVerifier(app.state.verifier, lambda: app.state.runtime.sessions())
    return app
