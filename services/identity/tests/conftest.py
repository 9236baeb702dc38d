"""Fixtures for the identity service: a running app, and helpers to sign a person in directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.identity.adapters.orm import Account
from services.identity.app import create_app
from services.identity.service.sessions import TokenPair, start_session
from services.identity.settings import IdentitySettings
from shared.testing import running_app, served, settings_for

API = "/api/v1/identity"


@dataclass
class IdentityHarness:
    client: httpx.AsyncClient
    app: Any
    settings: IdentitySettings

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    async def citizen(self, phone: str | None = None) -> Account:
        """A citizen's account, as a sign-in flow would have made it."""
        async with self.runtime.uow() as uow:
            account = Account(kind="citizen", phone=phone, status="active")
            uow.session.add(account)
            await uow.commit()
        return account

    async def session_for(self, account: Account, *, methods: str = "sms", agency_id: str | None = None) -> TokenPair:
        async with self.runtime.uow() as uow:
            pair = await start_session(uow, self.app.state.keyring, self.settings, account, methods=methods, agency_id=agency_id)
            await uow.commit()
        return pair


def identity_settings(broker, database_url: str, prefix: str, **overrides: Any) -> IdentitySettings:
    return settings_for(IdentitySettings, database_url=database_url, bootstrap=broker.bootstrap, prefix=prefix, **overrides)


@pytest.fixture
async def identity(broker, databases, topic_prefix, tmp_path):
    settings = identity_settings(broker, await databases.new("identity"), topic_prefix, sms_outbox_path=str(tmp_path / "sms-outbox.jsonl"))
    app = create_app(settings)
    async with running_app(app) as client:
        yield IdentityHarness(client, app, settings)


@pytest.fixture
async def fake_wechat():
    """The local WeChat server and its base URL."""
    from services.identity.tests.fake_wechat import FakeWechat

    fake = FakeWechat()
    async with served(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def wechat_identity(broker, databases, topic_prefix, tmp_path, fake_wechat):
    """The identity service talking to the local WeChat server."""
    settings = identity_settings(
        broker,
        await databases.new("identity"),
        topic_prefix,
        sms_outbox_path=str(tmp_path / "sms-outbox.jsonl"),
        wechat_appid=fake_wechat.appid,
        wechat_secret=fake_wechat.secret,
        wechat_api_base=fake_wechat.url,
    )
    app = create_app(settings)
    async with running_app(app) as client:
        yield IdentityHarness(client, app, settings), fake_wechat
