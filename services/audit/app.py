"""Audit service assembly."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.audit.adapters.orm import Base, plumbing
from services.audit.api import assessment, entries, erasures, reports, timeliness, verify
from services.audit.service.record import record_and_project
from services.audit.settings import AuditSettings, get_settings
from shared.consumer import Subscription
from shared.contracts.topics import ALL_DOMAIN_TOPICS, PLATFORM_OPERATIONS
from shared.service import ServiceSpec, create_service_app


def build_spec(settings: AuditSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="audit",
        title="政府信息公开 · 审计与年报服务",
        description="全部事件的防篡改记录、统计、时效与政府信息公开工作年度报告。",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[entries.router, erasures.router, verify.router, timeliness.router, reports.router, assessment.router],
        # Every domain event, and the operators' replays (platform.operations), go on the record.
        subscriptions=[Subscription("event-log", [*ALL_DOMAIN_TOPICS, PLATFORM_OPERATIONS], {"*": record_and_project})],
    )


def create_app(settings: AuditSettings | None = None) -> FastAPI:
    return create_service_app(build_spec(settings))
