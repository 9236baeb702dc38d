"""Notify service assembly."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx

from fastapi import FastAPI

from shared.consumer import Subscription
from shared.contracts.topics import ALL_DOMAIN_TOPICS, NOTIFY_DELIVERIES, REQUESTS_REQUESTS
from shared.service import ServiceRuntime, ServiceSpec, create_service_app

from services.notify.adapters.channels import Channel
from services.notify.adapters.channels.email import SmtpEmail
from services.notify.adapters.orm import Base, plumbing
from services.notify.api import deliveries, inbox, webhooks
from services.notify.service.dispatch import run_dispatcher
from services.notify.service.fanout import fan_out
from services.notify.service.webhooks import deliver_once, enqueue
from services.notify.settings import NotifySettings, get_settings


def channels_from(settings: NotifySettings) -> dict[str, Channel]:
    """The external channels this deployment has configured (the site inbox needs none)."""
    channels: dict[str, Channel] = {}
    if settings.smtp_host:
        channels["email"] = SmtpEmail(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                                      username=settings.smtp_username, password=settings.smtp_password, starttls=settings.smtp_starttls)
    return channels


def build_spec(settings: NotifySettings | None = None) -> ServiceSpec:
    settings = settings or get_settings()
    channels = channels_from(settings)

    async def on_request_event(uow, envelope) -> None:
        await fan_out(uow, envelope, site=settings.site_name)

    async def dispatcher(runtime: ServiceRuntime, stop) -> None:
        await run_dispatcher(runtime.uow, channels, settings, stop)

    async def webhook_sender(runtime: ServiceRuntime, stop) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            while not stop.is_set():
                try:
                    await deliver_once(runtime.uow, settings, client)
                except Exception:
                    logging.getLogger(__name__).exception("webhook round failed; retrying")
                try:
                    await asyncio.wait_for(stop.wait(), timeout=settings.dispatch_interval_seconds)
                except TimeoutError:
                    pass

    return ServiceSpec(
        name="notify",
        title="政府信息公开 · 通知服务",
        description="向申请人、第三方和工作人员发送站内信、电子邮件、短信和微信订阅消息，并记录送达情况。",
        settings=settings,
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[inbox.router, deliveries.router, webhooks.router],
        produces=[NOTIFY_DELIVERIES],
        subscriptions=[Subscription("deliveries", [REQUESTS_REQUESTS], {"*": on_request_event}),
                       Subscription("webhooks", ALL_DOMAIN_TOPICS, {"*": enqueue})],
        background=[dispatcher, webhook_sender],
    )


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(build_spec(settings))
