"""Identity service assembly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from services.identity.adapters.oidc import OidcClient
from services.identity.adapters.orm import Base, plumbing
from services.identity.adapters.sms import AliyunSender, DevOutboxSender
from services.identity.adapters.wechat import WechatClient
from services.identity.api import dev, local, officers, oidc, service_tokens, sessions, sms, wechat, wellknown
from services.identity.service.agency_replica import on_agency_event
from services.identity.service.keys import KeyRing
from services.identity.settings import IdentitySettings, get_settings
from shared.auth import TokenVerifier
from shared.consumer import Subscription
from shared.contracts.topics import CATALOG_AGENCIES, IDENTITY_ACCOUNTS, IDENTITY_OFFICERS
from shared.ratelimit import RateLimiter
from shared.service import ServiceSpec, create_service_app

log = logging.getLogger(__name__)


def build_spec(settings: IdentitySettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="identity",
        title="政府信息公开 · 统一身份认证服务",
        description="公众（微信小程序、短信验证码）与工作人员（单点登录、本地账号）的登录，工作人员名录，以及各服务验证的令牌。",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[sessions.router, service_tokens.router, sms.router, wechat.router, oidc.router, local.router, dev.router, officers.router],
        produces=[IDENTITY_ACCOUNTS, IDENTITY_OFFICERS],
        subscriptions=[
            Subscription("agencies", [CATALOG_AGENCIES], {"AgencyRegistered": on_agency_event, "AgencyUpdated": on_agency_event})
        ],
    )


async def _keep_keys_fresh(app: FastAPI, keyring: KeyRing, stop: asyncio.Event) -> None:
    """Re-read the ring (another replica may have rotated) and rotate when due."""
    interval = keyring.settings.key_refresh_seconds
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return
        try:
            await keyring.maintain(app.state.runtime.uow)
        except Exception:
            log.exception("refreshing the signing keys failed; keeping the ones loaded")


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    s = settings or get_settings()
    spec = build_spec(s)
    app = create_service_app(spec)
    keyring = KeyRing(s)
    app.state.keyring = keyring
    app.state.limiter = RateLimiter(s.rate_limit_storage)
    app.state.oidc = OidcClient()
    app.state.wechat = WechatClient(appid=s.wechat_appid, secret=s.wechat_secret.get_secret_value(), base_url=s.wechat_api_base)
    app.state.sms_sender = (
        DevOutboxSender(s.sms_outbox_path)
        if s.sms_sender == "dev_outbox"
        else AliyunSender(
            s.aliyun_sms_endpoint,
            s.aliyun_access_key_id,
            s.aliyun_access_key_secret.get_secret_value(),
            s.aliyun_sms_sign_name,
            s.aliyun_sms_template_code,
        )
    )
    # The service verifies its own tokens with its own ring: no HTTP round trip to itself.
    app.state.verifier = TokenVerifier(
        s.model_copy(update={"jwt_issuer": s.issuer, "jwt_audience": s.token_audience}), key_resolver=keyring.public_key
    )
    app.include_router(wellknown.router)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            # Before the first request: a key to sign with (made on the very first start).
            await keyring.maintain(app_.state.runtime.uow)
            stop = asyncio.Event()
            task = asyncio.create_task(_keep_keys_fresh(app_, keyring, stop), name="identity-keys")
            try:
                yield
            finally:
                stop.set()
                await task
                await app_.state.wechat.aclose()

    app.router.lifespan_context = lifespan
    return app
