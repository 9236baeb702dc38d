"""Notify service assembly."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from services.notify.adapters.channels import Channel
from services.notify.adapters.channels.email import SmtpEmail
from services.notify.adapters.channels.sms import AliyunSms
from services.notify.adapters.channels.wechat import WeChatSubscribe
from services.notify.adapters.notices import NoticeFetcher
from services.notify.adapters.orm import Base, plumbing
from services.notify.adapters.webhook_http import Resolver, WebhookPoster
from services.notify.api import deliveries, inbox, post, preferences, webhooks
from services.notify.domain.webhook_targets import Allowlist
from services.notify.service import accounts
from services.notify.service.dispatch import run_dispatcher
from services.notify.service.fanout import FanOutConfig, fan_out
from services.notify.service.officer_replica import on_officer_changed
from services.notify.service.post import on_agency_event
from services.notify.service.webhooks import WebhookSender, enqueue
from services.notify.settings import NotifySettings, get_settings
from shared.consumer import Subscription
from shared.contracts.catalog import AgencyRegistered, AgencyUpdated
from shared.contracts.identity import AccountsMerged, OfficerChanged, WechatLinked
from shared.contracts.topics import (
    ALL_DOMAIN_TOPICS,
    CATALOG_AGENCIES,
    IDENTITY_ACCOUNTS,
    IDENTITY_OFFICERS,
    NOTIFY_DELIVERIES,
    REQUESTS_REQUESTS,
)
from shared.periodic import every
from shared.service import ServiceRuntime, ServiceSpec, create_service_app


def channels_from(settings: NotifySettings) -> dict[str, Channel]:
    """The external channels this deployment has configured (the site inbox needs none)."""
    channels: dict[str, Channel] = {}
    if settings.smtp_host:
        channels["email"] = SmtpEmail(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
        )
    if settings.sms_access_key_id and settings.sms_access_key_secret.get_secret_value() and settings.sms_sign_name:
        channels["sms"] = AliyunSms(
            access_key_id=settings.sms_access_key_id,
            access_key_secret=settings.sms_access_key_secret.get_secret_value(),
            sign_name=settings.sms_sign_name,
            base_url=settings.sms_base_url,
        )
    if settings.wechat_appid and settings.wechat_secret.get_secret_value():
        channels["wechat"] = WeChatSubscribe(
            appid=settings.wechat_appid,
            secret=settings.wechat_secret.get_secret_value(),
            base_url=settings.wechat_base_url,
            miniprogram_state=settings.wechat_miniprogram_state,
        )
    return channels


def webhook_poster_from(settings: NotifySettings, resolver: Resolver | None = None) -> WebhookPoster:
    """The webhook sender: public addresses only, plus what NOTIFY_WEBHOOK_ALLOWED_HOSTS allows."""
    return WebhookPoster(
        Allowlist.parse(settings.webhook_allowed_hosts),
        connect_timeout=settings.webhook_connect_timeout_seconds,
        read_timeout=settings.webhook_read_timeout_seconds,
        total_timeout=settings.webhook_total_timeout_seconds,
        resolver=resolver,
    )


def build_spec(settings: NotifySettings | None = None, poster: WebhookPoster | None = None) -> ServiceSpec:
    settings = settings or get_settings()
    poster = poster or webhook_poster_from(settings)
    channels = channels_from(settings)
    notices = NoticeFetcher.from_settings(settings)
    fan_out_config = FanOutConfig.from_settings(settings, frozenset(channels))

    async def on_request_event(uow, envelope) -> None:
        await fan_out(uow, envelope, config=fan_out_config)

    async def dispatcher(runtime: ServiceRuntime, stop) -> None:
        try:
            await run_dispatcher(runtime.uow, channels, settings, stop, notices)
        finally:
            for channel in channels.values():
                if hasattr(channel, "aclose"):
                    await channel.aclose()
            if notices is not None:
                await notices.aclose()

    async def webhook_sender(runtime: ServiceRuntime, stop) -> None:
        sender = WebhookSender(runtime.uow, settings, poster)
        try:
            await every(settings.dispatch_interval_seconds, stop, sender.round, what="webhook round", log=logging.getLogger(__name__))
        finally:
            # Sends under way finish if they are quick; a lane cut off is sent again after its lease.
            await sender.wait(timeout=min(settings.webhook_total_timeout_seconds, settings.shutdown_worker_timeout / 4))

    return ServiceSpec(
        name="notify",
        title="政府信息公开 · 通知服务",
        description="向申请人、第三方和工作人员发送站内信、电子邮件、短信和微信订阅消息，并记录送达情况。",
        settings=settings,
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[inbox.router, deliveries.router, webhooks.router, preferences.router, post.router],
        produces=[NOTIFY_DELIVERIES],
        subscriptions=[
            Subscription("deliveries", [REQUESTS_REQUESTS], {"*": on_request_event}),
            Subscription("webhooks", ALL_DOMAIN_TOPICS, {"*": enqueue}),
            Subscription(
                "agency-replica",
                [CATALOG_AGENCIES],
                {AgencyRegistered.event_type: on_agency_event, AgencyUpdated.event_type: on_agency_event},
            ),
            Subscription(
                "accounts",
                [IDENTITY_ACCOUNTS],
                {WechatLinked.event_type: accounts.on_wechat_linked, AccountsMerged.event_type: accounts.on_accounts_merged},
            ),
            Subscription("officer-replica", [IDENTITY_OFFICERS], {OfficerChanged.event_type: on_officer_changed}),
        ],
        background=[dispatcher, webhook_sender],
    )


def create_app(settings: NotifySettings | None = None, *, resolver: Resolver | None = None) -> FastAPI:
    """The notify app; `resolver` replaces the system DNS lookup for webhook hosts (tests name hosts without DNS)."""
    settings = settings or get_settings()
    poster = webhook_poster_from(settings, resolver)
    app = create_service_app(build_spec(settings, poster))
    app.state.webhook_poster = poster
    return app
