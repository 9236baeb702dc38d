"""Notify service assembly."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.contracts.topics import NOTIFY_DELIVERIES
from shared.service import ServiceSpec, create_service_app

from services.notify.adapters.orm import Base, plumbing
from services.notify.api import inbox
from services.notify.settings import NotifySettings, get_settings


def build_spec(settings: NotifySettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="notify",
        title="政府信息公开 · 通知服务",
        description="向申请人、第三方和工作人员发送站内信、电子邮件、短信和微信订阅消息。",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[inbox.router],
        produces=[NOTIFY_DELIVERIES],
    )


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(build_spec(settings))
