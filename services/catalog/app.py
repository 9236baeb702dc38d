"""Catalog service assembly."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.catalog.adapters.orm import Base, plumbing
from services.catalog.api import agencies, documents, guide, public, suggestions, taxonomy
from services.catalog.domain import search as search_terms
from services.catalog.service.suggestions import on_answer_dispatched
from services.catalog.service.watch import run_forever
from services.catalog.settings import CatalogSettings, get_settings
from shared.consumer import Subscription
from shared.contracts.requests import AnswerDispatched
from shared.contracts.topics import CATALOG_AGENCIES, CATALOG_DOCUMENTS, REQUESTS_REQUESTS
from shared.service import ServiceRuntime, ServiceSpec, create_service_app
from shared.storage import storage_from_settings
from shared.workdays import WorkCalendar

# The official calendar (chinesecalendar), the same code the requests clock uses.
CALENDAR = WorkCalendar()


MULTIPART_OVERHEAD = 64 * 1024  # form boundaries and part headers around one file


def build_spec(settings: CatalogSettings | None = None) -> ServiceSpec:
    settings = settings or get_settings()

    async def publication_watch(runtime: ServiceRuntime, stop) -> None:
        await run_forever(
            runtime.uow, lambda: runtime.today(), CALENDAR, settings.reminder_days_before, settings.scheduler_interval_seconds, stop
        )

    return ServiceSpec(
        name="catalog",
        title="政府信息公开 · 目录服务",
        description="机关、政府信息公开指南与目录（主动公开）：起草、保密审查、发布、修订、废止、撤回，以及面向公众的中文检索。",
        settings=settings,
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[agencies.router, guide.router, taxonomy.router, documents.router, public.router, suggestions.router],
        produces=[CATALOG_AGENCIES, CATALOG_DOCUMENTS],
        subscriptions=[Subscription("art44-suggestions", [REQUESTS_REQUESTS], {AnswerDispatched.event_type: on_answer_dispatched})],
        background=[publication_watch] if settings.run_scheduler else [],
        warm_up=[search_terms.warm_up],
        large_bodies=[("/documents/[^/]+/attachments", settings.attachment_max_bytes + MULTIPART_OVERHEAD)],
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    spec = build_spec(settings)
    app = create_service_app(spec)
    app.state.calendar = CALENDAR
    app.state.storage = storage_from_settings(settings)
    return app
