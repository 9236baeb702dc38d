"""Requests service assembly."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.consumer import Subscription
from shared.contracts.catalog import AgencyRegistered
from shared.contracts.topics import CATALOG_AGENCIES, REQUESTS_REQUESTS
from shared.service import ServiceSpec, create_service_app

from services.requests.adapters.orm import Base, plumbing
from services.requests.api import agencies
from services.requests.service.agency_replica import on_agency_registered
from services.requests.settings import RequestsSettings, get_settings


def build_spec(settings: RequestsSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="requests",
        title="政府信息公开 · 依申请公开服务",
        description="依申请公开：受理、补正、征求意见、审查、答复与救济，按工作日计时。",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[agencies.router],
        produces=[REQUESTS_REQUESTS],
        subscriptions=[Subscription("agency-replica", [CATALOG_AGENCIES], {AgencyRegistered.event_type: on_agency_registered})],
    )


def create_app(settings: RequestsSettings | None = None) -> FastAPI:
    return create_service_app(build_spec(settings))
