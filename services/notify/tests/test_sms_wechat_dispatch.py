"""SMS and WeChat wired into fan-out and dispatch, against the stub Aliyun and WeChat servers."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.notify.adapters.channels.sms import AliyunSms
from services.notify.adapters.channels.wechat import WeChatSubscribe
from services.notify.app import channels_from
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.notify.tests.stubs import ACCESS_KEY_ID, ACCESS_KEY_SECRET, APPID, APPSECRET, SIGN_NAME, SmsStub, WeChatStub, serve
from services.notify.tests.support import fan, inbox_of, notifications, outbox_events, request_event
from shared.contracts import requests as ev
from shared.contracts.requests import Contact
from shared.testing import auth, eventually, running_app, served, settings_for

SMS_TEMPLATES = {"receipt": "SMS_RECEIPT", "answer_notice": "SMS_ANSWER", "closure_notice": "SMS_CLOSURE"}
WECHAT_TEMPLATES = {
    "receipt": {"template_id": "TPL-receipt", "page": "pages/request/detail?id={request_id}"},
    "answer_notice": {"template_id": "TPL-answer"},
    "closure_notice": {"template_id": "TPL-closure", "keys": ["character_string2", "time5", "thing9"]},
}
KEYS = {"character_string1", "date2", "thing3"}


@pytest.fixture
async def providers():
    sms = SmsStub(
        templates={"SMS_RECEIPT": {"code", "date", "due"}, "SMS_ANSWER": {"code", "date", "result"}, "SMS_CLOSURE": {"code", "date"}}
    )
    wx = WeChatStub(templates={"TPL-receipt": KEYS, "TPL-answer": KEYS, "TPL-closure": {"character_string2", "time5", "thing9"}})
    async with serve(sms.app()) as sms_url, serve(wx.app()) as wx_url:
        yield sms, sms_url, wx, wx_url


@pytest.fixture
async def notify(broker, databases, topic_prefix, providers):
    sms, sms_url, wx, wx_url = providers
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        dispatch_interval_seconds=0.1,
        retry_base_seconds=0.2,
        retry_max_seconds=0.5,
        sms_access_key_id=ACCESS_KEY_ID,
        sms_access_key_secret=ACCESS_KEY_SECRET,
        sms_sign_name=SIGN_NAME,
        sms_base_url=sms_url,
        sms_templates=SMS_TEMPLATES,
        wechat_appid=APPID,
        wechat_secret=APPSECRET,
        wechat_base_url=wx_url,
        wechat_miniprogram_state="trial",
        wechat_templates=WECHAT_TEMPLATES,
    )
    app = notify_app(ns)
    async with running_app(app) as client:
        yield app, client, ns, sms, wx


async def _bind(client, ns, sub: str, openid: str) -> None:
    r = await client.put(
        "/api/v1/notify/preferences/me",
        headers=auth(ns, "applicant", sub=sub),
        json={"channels": ["inbox", "email", "sms", "wechat"], "wechat_openid": openid},
    )
    assert r.status_code == 200, r.text


async def _settled(app, request_id: str, channels=("sms", "wechat")) -> list:
    async def done():
        rows = [n for n in await notifications(app, request_id=request_id) if n.channel in channels]
        return rows if rows and all(n.status in ("sent", "failed") for n in rows) else None

    return await eventually(done, timeout=30, message="sms and wechat settled")


def test_settings_read_the_template_mappings_from_json_in_the_environment(monkeypatch):
    monkeypatch.setenv("NOTIFY_SMS_TEMPLATES", json.dumps({"receipt": "SMS_1"}))
    monkeypatch.setenv("NOTIFY_WECHAT_TEMPLATES", json.dumps({"receipt": {"template_id": "T1", "page": "pages/a?id={request_id}"}}))
    monkeypatch.setenv("NOTIFY_SMS_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("NOTIFY_SMS_ACCESS_KEY_SECRET", "secret")
    monkeypatch.setenv("NOTIFY_SMS_SIGN_NAME", "某县政务公开")
    settings = NotifySettings()
    assert settings.sms_templates == {"receipt": "SMS_1"}
    assert settings.wechat_templates["receipt"].template_id == "T1"
    channels = channels_from(settings)
    assert isinstance(channels["sms"], AliyunSms) and "wechat" not in channels  # no appid: no WeChat
    monkeypatch.setenv("NOTIFY_WECHAT_APPID", "wx1")
    monkeypatch.setenv("NOTIFY_WECHAT_SECRET", "s")
    assert isinstance(channels_from(NotifySettings())["wechat"], WeChatSubscribe)


async def test_a_receipt_goes_out_by_sms_and_wechat_with_the_configured_templates_and_values(notify):
    app, client, ns, sms, wx = notify
    await _bind(client, ns, "citizen-1", "oCitizen1")
    envelope = request_event(sub="citizen-1", contact=Contact(name="张三", mobile="13800138000"))
    p = envelope.payload
    await fan(app, envelope, ns)
    rows = {n.channel: n for n in await _settled(app, p["request_id"])}
    assert rows["sms"].status == "sent" and rows["sms"].provider_message_id.startswith("BIZ-")
    assert rows["wechat"].status == "sent" and rows["wechat"].provider_message_id == "1001"

    [sent] = sms.requests
    assert sent["PhoneNumbers"] == "13800138000" and sent["TemplateCode"] == "SMS_RECEIPT" and sent["SignName"] == SIGN_NAME
    assert json.loads(sent["TemplateParam"]) == {"code": p["tracking_number"], "date": "2026-09-28", "due": "2026-10-30"}
    assert sent["OutId"] == rows["sms"].id  # the provider can dedupe a resend
    assert wx.sends == [
        {
            "touser": "oCitizen1",
            "template_id": "TPL-receipt",
            "page": f"pages/request/detail?id={p['request_id']}",
            "data": {
                "character_string1": {"value": p["tracking_number"]},
                "date2": {"value": "2026年10月30日"},
                "thing3": {"value": "申请已受理，请留意答复"},
            },
            "miniprogram_state": "trial",
            "lang": "zh_CN",
        }
    ]
    delivered = [e["payload"] for e in await outbox_events(app, "NotificationDelivered")]
    assert {(d["channel"], d["kind"]) for d in delivered} == {("sms", "receipt"), ("wechat", "receipt")}


async def test_values_longer_than_the_providers_allow_are_cut_and_the_template_keys_follow_the_deployment(notify):
    app, client, ns, sms, wx = notify
    await _bind(client, ns, "citizen-2", "oCitizen2")
    note = "申请人书面撤回申请，本机关依法终止处理该政府信息公开申请并告知申请人"
    envelope = request_event(
        ev.RequestClosed,
        sub="citizen-2",
        contact=Contact(name="李四", mobile="13900139000"),
        category="other",
        reason="withdrawn",
        closed_on="2026-10-09",
        note=note,
    )
    await fan(app, envelope, ns)
    rows = {n.channel: n for n in await _settled(app, envelope.payload["request_id"])}
    assert rows["wechat"].status == "sent", rows["wechat"].last_error  # the stub refuses a thing over 20 characters
    data = wx.sends[0]["data"]
    assert set(data) == {"character_string2", "time5", "thing9"}
    assert len(data["thing9"]["value"]) == 20 and data["thing9"]["value"].endswith("…") and note.startswith(data["thing9"]["value"][:19])
    assert rows["sms"].status == "sent"
    assert json.loads(sms.requests[0]["TemplateParam"]) == {"code": envelope.payload["tracking_number"], "date": "2026-10-09"}


async def test_a_kind_without_a_template_on_a_channel_is_recorded_as_skipped_with_the_reason(notify):
    app, client, ns, sms, wx = notify
    await _bind(client, ns, "citizen-3", "oCitizen3")
    envelope = request_event(
        ev.CorrectionRequested,
        sub="citizen-3",
        contact=Contact(name="王五", mobile="13700137000"),
        correction_due_on="2026-10-20",
        items=["请写明文件名称"],
    )
    await fan(app, envelope, ns)
    rows = {n.channel: n for n in await notifications(app, request_id=envelope.payload["request_id"])}
    assert [(n.channel, n.status) for n in await notifications(app, request_id=envelope.payload["request_id"], channel="inbox")] == [
        ("inbox", "sent")
    ]
    assert rows["sms"].status == "skipped" and "correction_notice" in rows["sms"].last_error and "短信模板" in rows["sms"].last_error
    assert rows["wechat"].status == "skipped" and "微信订阅消息模板" in rows["wechat"].last_error
    assert sms.requests == [] and wx.sends == []


async def test_a_user_who_refused_the_subscription_ends_failed_with_wechats_reason_while_the_inbox_copy_stands(notify):
    app, client, ns, sms, wx = notify
    await _bind(client, ns, "citizen-4", "oRefuser4")
    wx.unsubscribed.add("oRefuser4")
    sms.codes["13600136000"] = "isv.MOBILE_NUMBER_ILLEGAL"
    envelope = request_event(
        ev.AnswerDispatched,
        sub="citizen-4",
        contact=Contact(name="赵六", mobile="13600136000"),
        answer_id="ans-1",
        category="not_disclosed",
        reason="state_secret",
        answered_on="2026-10-20",
        on_time=True,
        working_days_taken=16,
    )
    await fan(app, envelope, ns)
    rows = {n.channel: n for n in await _settled(app, envelope.payload["request_id"])}
    assert rows["wechat"].status == "failed" and rows["wechat"].attempts == 1  # permanent: not retried
    assert rows["wechat"].last_error.startswith("43101: ") and "user refuse to accept the msg" in rows["wechat"].last_error
    assert rows["sms"].status == "failed" and rows["sms"].last_error == "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"
    assert wx.sends[0]["data"]["thing3"] == {"value": "已答复：不予公开"}
    assert [m.kind for m in await inbox_of(app, "citizen-4")] == ["answer_notice"]
    assert [(n.channel, n.status) for n in await notifications(app, request_id=envelope.payload["request_id"], channel="inbox")] == [
        ("inbox", "sent")
    ]
    failed = [e["payload"] for e in await outbox_events(app, "NotificationFailed")]
    assert {(f["channel"], f["reason"][:5]) for f in failed} == {("wechat", "43101"), ("sms", "isv.M")}

    proof = await client.get(
        "/api/v1/notify/deliveries",
        params={"request_id": envelope.payload["request_id"]},
        headers=auth(ns, "handler", agency_id="agency-1"),
    )
    by_channel = {d["channel"]: d for d in proof.json()}
    assert by_channel["wechat"]["status"] == "failed" and "43101" in by_channel["wechat"]["last_error"]
    assert "13600136000" not in by_channel["sms"]["address"]


async def test_a_letter_kept_in_reserve_goes_on_the_post_list_when_the_only_sms_fails_for_good(notify):
    app, client, ns, sms, wx = notify
    sms.codes["13500135000"] = "isv.MOBILE_NUMBER_ILLEGAL"
    failing = request_event(sub=None, contact=Contact(name="孙七", mobile="13500135000", address="某某县某镇某村8号"))
    working = request_event(sub=None, contact=Contact(name="周八", mobile="13400134000", address="某某县某镇某村9号"))
    for envelope in (failing, working):
        await fan(app, envelope, ns)

    async def letters():
        rows = {}
        for envelope in (failing, working):
            [letter] = await notifications(app, request_id=envelope.payload["request_id"], channel="post")
            rows[envelope.payload["request_id"]] = letter
        return rows if all(r.status != "standby" for r in rows.values()) else None

    rows = await eventually(letters, timeout=30, message="reserve letters settled")
    letter = rows[failing.payload["request_id"]]
    assert letter.status == "to_post" and "isv.MOBILE_NUMBER_ILLEGAL" in letter.last_error and letter.address == "某某县某镇某村8号"
    assert rows[working.payload["request_id"]].status == "not_needed"
    listed = (await client.get("/api/v1/notify/post", headers=auth(ns, "registrar", agency_id="agency-1"))).json()
    assert [x["id"] for x in listed] == [letter.id]


async def test_no_database_connection_is_held_while_the_sms_provider_answers(broker, databases, topic_prefix):
    """A provider that takes its time holds up that message only: the dispatcher has committed and let go of its connection."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def send_sms(request: Request) -> JSONResponse:
        entered.set()
        await release.wait()
        return JSONResponse({"Code": "OK", "Message": "OK", "BizId": "BIZ-slow", "RequestId": "r-1"})

    async with served(Starlette(routes=[Route("/", send_sms, methods=["GET", "POST"])]), lifespan="off") as sms_url:
        ns = settings_for(
            NotifySettings,
            database_url=await databases.new("notify"),
            bootstrap=broker.bootstrap,
            prefix=topic_prefix,
            run_consumers=False,
            dispatch_interval_seconds=0.1,
            sms_access_key_id=ACCESS_KEY_ID,
            sms_access_key_secret=ACCESS_KEY_SECRET,
            sms_sign_name=SIGN_NAME,
            sms_base_url=sms_url + "/",
            sms_templates=SMS_TEMPLATES,
        )
        app = notify_app(ns)
        async with running_app(app):
            envelope = request_event(sub=None, contact=Contact(name="张三", mobile="13800138000"))
            await fan(app, envelope, ns)
            await asyncio.wait_for(entered.wait(), timeout=20)
            try:
                pool = app.state.runtime.engine.pool
                await eventually(lambda: pool.checkedout() == 0, timeout=5, interval=0.05, message="no connection held during the send")
                [row] = [n for n in await notifications(app, request_id=envelope.payload["request_id"]) if n.channel == "sms"]
                assert row.status == "pending" and row.attempts == 1  # claimed and committed before the provider was called
            finally:
                release.set()
            [row] = await _settled(app, envelope.payload["request_id"], channels=("sms",))
            assert row.status == "sent" and row.provider_message_id == "BIZ-slow"
            assert [e["payload"]["channel"] for e in await outbox_events(app, "NotificationDelivered")] == ["sms"]
