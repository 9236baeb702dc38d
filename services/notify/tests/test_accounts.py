"""Identity's account events: the openid a citizen signed in with, and two accounts merged into one."""

from __future__ import annotations

import pytest

from services.notify.adapters.orm import InboxMessage
from services.notify.app import create_app as notify_app
from services.notify.service.accounts import on_accounts_merged, on_wechat_linked
from services.notify.settings import NotifySettings
from shared.contracts.identity import AccountsMerged, WechatLinked
from shared.events import Actor
from shared.testing import auth, running_app, settings_for

PREFS = "/api/v1/notify/preferences/me"
INBOX = "/api/v1/notify/inbox"


@pytest.fixture
async def notify(broker, databases, topic_prefix):
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        run_workers=False,
    )
    app = notify_app(ns)
    async with running_app(app) as client:
        yield app, client, ns


async def _apply(app, handler, event, aggregate_id: str) -> None:
    envelope = event.envelope(source="identity", aggregate_id=aggregate_id, actor=Actor(sub=aggregate_id, role="applicant"))
    for _ in range(2):  # applying it twice changes nothing more
        async with app.state.runtime.uow() as uow:
            await handler(uow, envelope)
            await uow.commit()


async def test_the_sign_in_openid_becomes_the_wechat_recipient_without_manual_binding(notify):
    app, client, ns = notify
    await _apply(app, on_wechat_linked, WechatLinked(account_id="mini-1", appid="wx1", openid="oMini_openid_1"), "mini-1")
    prefs = (await client.get(PREFS, headers=auth(ns, "applicant", sub="mini-1"))).json()
    assert prefs["wechat_openid"] == "oMini_openid_1" and prefs["channels"] == ["inbox", "email", "sms", "wechat"]
    # A person's own choices survive a later link.
    await client.put(
        PREFS,
        headers=auth(ns, "applicant", sub="mini-1"),
        json={"channels": ["inbox"], "non_statutory_opt_out": True, "wechat_openid": "oMini_openid_1"},
    )
    await _apply(app, on_wechat_linked, WechatLinked(account_id="mini-1", appid="wx1", openid="oMini_openid_2"), "mini-1")
    prefs = (await client.get(PREFS, headers=auth(ns, "applicant", sub="mini-1"))).json()
    assert prefs["channels"] == ["inbox"] and prefs["non_statutory_opt_out"] is True and prefs["wechat_openid"] == "oMini_openid_2"


async def test_a_merge_moves_inbox_and_preferences_to_the_surviving_account(notify):
    app, client, ns = notify
    async with app.state.runtime.uow() as uow:
        uow.session.add_all(
            [
                InboxMessage(recipient_sub="mini-1", kind="receipt", subject="受理回执", body="已收到"),
                InboxMessage(recipient_sub="web-1", kind="receipt", subject="另一份回执", body="已收到"),
            ]
        )
        await uow.commit()
    await _apply(app, on_wechat_linked, WechatLinked(account_id="mini-1", appid="wx1", openid="oMini_openid_1"), "mini-1")
    await client.put(PREFS, headers=auth(ns, "applicant", sub="web-1"), json={"channels": ["inbox", "sms"]})
    await _apply(app, on_accounts_merged, AccountsMerged(merged_id="mini-1", into_id="web-1"), "mini-1")
    web = auth(ns, "applicant", sub="web-1")
    assert sorted(m["subject"] for m in (await client.get(INBOX, headers=web)).json()) == ["受理回执", "另一份回执"]
    assert (await client.get(INBOX, headers=auth(ns, "applicant", sub="mini-1"))).json() == []
    prefs = (await client.get(PREFS, headers=web)).json()
    assert prefs["channels"] == ["inbox", "sms"] and prefs["wechat_openid"] == "oMini_openid_1"  # their choices, the openid added
    assert (await client.get(PREFS, headers=auth(ns, "applicant", sub="mini-1"))).json()["wechat_openid"] is None


async def test_a_merge_into_an_account_without_preferences_carries_them_over(notify):
    app, client, ns = notify
    await _apply(app, on_wechat_linked, WechatLinked(account_id="mini-2", appid="wx1", openid="oMini_openid_3"), "mini-2")
    await _apply(app, on_accounts_merged, AccountsMerged(merged_id="mini-2", into_id="web-2"), "mini-2")
    assert (await client.get(PREFS, headers=auth(ns, "applicant", sub="web-2"))).json()["wechat_openid"] == "oMini_openid_3"
