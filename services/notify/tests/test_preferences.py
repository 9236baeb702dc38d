"""Recipient preferences: the API (own only) and how fan-out applies them."""

from __future__ import annotations

import pytest

from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.notify.tests.support import fan, inbox_of, notifications, request_event
from shared.contracts import requests as ev
from shared.contracts.requests import Contact
from shared.testing import assert_problem, auth, running_app, settings_for

URL = "/api/v1/notify/preferences/me"
CONTACT = Contact(name="张三", mobile="13800138000", email="zhangsan@example.com")


@pytest.fixture
async def notify(broker, databases, topic_prefix):
    # Every channel configured with a template for the kinds used here, so only preferences decide.
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        run_workers=False,
        smtp_host="127.0.0.1",
        sms_access_key_id="id",
        sms_access_key_secret="s",
        sms_sign_name="某县",
        sms_templates={"receipt": "SMS_1", "correction_received": "SMS_2"},
        wechat_appid="wx",
        wechat_secret="s",
        wechat_templates={"receipt": {"template_id": "T1"}, "correction_received": {"template_id": "T2"}},
    )
    app = notify_app(ns)
    async with running_app(app) as client:
        yield app, client, ns


async def _channels(app, envelope) -> dict[str, str]:
    return {n.channel: n.address for n in await notifications(app, request_id=envelope.payload["request_id"])}


async def test_a_user_without_preferences_gets_the_defaults(notify):
    app, client, ns = notify
    r = await client.get(URL, headers=auth(ns, "applicant", sub="citizen-1"))
    assert r.status_code == 200
    body = r.json()
    assert body["channels"] == ["inbox", "email", "sms", "wechat"] and body["non_statutory_opt_out"] is False
    assert body["wechat_openid"] is None and "站内信" in body["statutory_note"]


async def test_each_user_reads_and_writes_only_their_own_preferences(notify):
    app, client, ns = notify
    mine = auth(ns, "applicant", sub="citizen-1")
    r = await client.put(
        URL, headers=mine, json={"channels": ["wechat", "inbox"], "non_statutory_opt_out": True, "wechat_openid": "oAbc_123-xyz"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["channels"] == ["inbox", "wechat"] and r.json()["wechat_openid"] == "oAbc_123-xyz"
    assert (await client.get(URL, headers=mine)).json()["non_statutory_opt_out"] is True
    other = (await client.get(URL, headers=auth(ns, "applicant", sub="citizen-2"))).json()
    assert other["wechat_openid"] is None and other["non_statutory_opt_out"] is False
    officer = auth(ns, "handler", agency_id="agency-1", sub="handler-1")
    assert (await client.put(URL, headers=officer, json={"channels": ["inbox"]})).status_code == 200  # officers have preferences too
    assert (await client.get(URL, headers=mine)).json()["channels"] == ["inbox", "wechat"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["inbox", "fax"]}, "channels"),
        ({"channels": ["sms", "sms"]}, "channels"),
        ({"channels": ["inbox"], "wechat_openid": "有空格 的openid"}, "wechat_openid"),
        ({"non_statutory_opt_out": True}, "channels"),
    ],
)
async def test_bad_preferences_are_refused_and_change_nothing(notify, body, field):
    app, client, ns = notify
    mine = auth(ns, "applicant", sub="citizen-1")
    await client.put(URL, headers=mine, json={"channels": ["inbox", "email"]})
    before = (await client.get(URL, headers=mine)).json()
    problem = assert_problem(await client.put(URL, headers=mine, json=body), 422, "validation_failed")
    assert any(field in e["field"] and e["message"] for e in problem["errors"])
    assert (await client.get(URL, headers=mine)).json() == before


async def test_preferences_need_a_login(notify):
    app, client, ns = notify
    assert_problem(await client.get(URL), 401)
    assert_problem(await client.put(URL, json={"channels": ["inbox"]}), 401)


async def test_a_statutory_notice_reaches_the_inbox_even_when_the_applicant_disabled_it(notify):
    app, client, ns = notify
    await client.put(URL, headers=auth(ns, "applicant", sub="citizen-1"), json={"channels": ["sms"]})
    envelope = request_event(sub="citizen-1", contact=CONTACT)
    await fan(app, envelope, ns)
    assert await _channels(app, envelope) == {"inbox": "citizen-1", "sms": "13800138000"}  # no e-mail: disabled
    assert [m.kind for m in await inbox_of(app, "citizen-1")] == ["receipt"]


async def test_a_non_statutory_message_is_dropped_for_an_applicant_who_opted_out(notify):
    app, client, ns = notify
    await client.put(
        URL, headers=auth(ns, "applicant", sub="citizen-1"), json={"channels": ["inbox", "email"], "non_statutory_opt_out": True}
    )
    envelope = request_event(ev.CorrectionSubmitted, sub="citizen-1", contact=CONTACT)
    assert await fan(app, envelope, ns) == 0
    assert await inbox_of(app, "citizen-1") == []
    # Someone who did not opt out gets it on every channel they have.
    other = request_event(ev.CorrectionSubmitted, sub="citizen-2", contact=CONTACT)
    await fan(app, other, ns)
    assert set(await _channels(app, other)) == {"inbox", "email", "sms"}


async def test_an_officer_who_opted_out_gets_no_assignment_message_but_the_role_mailbox_still_does(notify):
    app, client, ns = notify
    await client.put(
        URL, headers=auth(ns, "handler", agency_id="agency-1", sub="handler-1"), json={"channels": ["inbox"], "non_statutory_opt_out": True}
    )
    assert await fan(app, request_event(ev.RequestAssigned, assignee_sub="handler-1"), ns) == 0
    assert await fan(app, request_event(ev.RequestAssigned), ns) == 1  # nobody assigned: the heads' mailbox


async def test_wechat_goes_to_the_bound_openid_and_only_when_bound_and_enabled(notify):
    app, client, ns = notify
    unbound = request_event(sub="citizen-1", contact=CONTACT)
    await fan(app, unbound, ns)
    assert "wechat" not in await _channels(app, unbound)

    await client.put(
        URL, headers=auth(ns, "applicant", sub="citizen-1"), json={"channels": ["inbox", "wechat"], "wechat_openid": "oBound_1"}
    )
    bound = request_event(sub="citizen-1", contact=CONTACT)
    await fan(app, bound, ns)
    assert await _channels(app, bound) == {"inbox": "citizen-1", "wechat": "oBound_1"}

    await client.put(URL, headers=auth(ns, "applicant", sub="citizen-1"), json={"channels": ["inbox", "sms"], "wechat_openid": "oBound_1"})
    disabled = request_event(sub="citizen-1", contact=CONTACT)
    await fan(app, disabled, ns)
    assert await _channels(app, disabled) == {"inbox": "citizen-1", "sms": "13800138000"}
