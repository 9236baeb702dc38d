"""The SMS (Aliyun Dysmsapi) and WeChat subscribe-message channels against stub providers (tests/stubs.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from services.notify.adapters.channels import Channel, OutgoingMessage, SendResult
from services.notify.adapters.channels.sms import AliyunSms
from services.notify.adapters.channels.wechat import WeChatSubscribe
from services.notify.tests.stubs import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    ALIYUN_MESSAGES,
    APPID,
    APPSECRET,
    SIGN_NAME,
    TEMPLATE_ID,
    SmsStub,
    WeChatStub,
    aliyun_expected_signature,
    serve,
)
from shared.testing import free_port


def msg(
    to: str, *, template_id: str | None = "SMS_0001", params: dict[str, str] | None = None, page: str | None = None, nid: str = "n-1"
) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=nid,
        to=to,
        subject="答复已出具",
        body="您的政府信息公开申请已答复",
        template_id=template_id,
        params=params if params is not None else {"code": "2024-0001", "name": "张三 *~"},
        page=page,
    )


# --------------------------------------------------------------------------------------------
# Aliyun SMS stub
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def sms_stub() -> AsyncIterator[tuple[SmsStub, str]]:
    stub = SmsStub()
    async with serve(stub.app()) as url:
        yield stub, url


def make_sms(url: str, secret: str = ACCESS_KEY_SECRET) -> AliyunSms:
    return AliyunSms(access_key_id=ACCESS_KEY_ID, access_key_secret=secret, sign_name=SIGN_NAME, base_url=url)


def test_the_stubs_own_v3_check_reproduces_aliyuns_documented_example() -> None:
    # The worked example of "V3版本请求体&签名机制" (ECS RunInstances): the stub verifies as Aliyun does.
    headers = {
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    signature = aliyun_expected_signature(
        "YourAccessKeySecret",
        "POST",
        "/",
        "RegionId=cn-shanghai&ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        headers,
        sorted(headers),
        b"",
    )
    assert signature == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


async def test_sms_success_returns_biz_id_and_sends_the_documented_parameters(sms_stub) -> None:
    stub, url = sms_stub
    sms = make_sms(url)
    channel: Channel = sms  # structurally a Channel
    assert channel.name == "sms"
    try:
        result = await sms.send(msg("13800138000", nid="notif-42"))
    finally:
        await sms.aclose()
    assert result == SendResult.sent("BIZ-1^0")
    sent, headers = stub.requests[0], stub.headers[0]
    assert headers["x-acs-action"] == "SendSms" and headers["x-acs-version"] == "2017-05-25"
    assert headers["authorization"].startswith(f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},SignedHeaders=host;x-acs-action;")
    assert set(sent) == {"PhoneNumbers", "SignName", "TemplateCode", "TemplateParam", "OutId"}  # no v1.0 common parameters
    assert sent["PhoneNumbers"] == "13800138000"
    assert sent["SignName"] == SIGN_NAME
    assert sent["TemplateCode"] == "SMS_0001"
    assert json.loads(sent["TemplateParam"]) == {"code": "2024-0001", "name": "张三 *~"}
    assert sent["OutId"] == "notif-42"
    raw = stub.raw_queries[0]
    assert raw.startswith("OutId=")  # sorted, as signed
    assert "%20" in raw and "%2A" in raw and "~" in raw and "+" not in raw


async def test_sms_each_send_uses_a_fresh_nonce(sms_stub) -> None:
    stub, url = sms_stub
    sms = make_sms(url)
    try:
        results = [await sms.send(msg("13800138000", nid=f"n-{i}")) for i in range(3)]
    finally:
        await sms.aclose()
    assert all(r.ok for r in results)
    assert len({h["x-acs-signature-nonce"] for h in stub.headers}) == 3 == len(stub.nonces)


async def test_sms_wrong_secret_is_detected_by_the_provider(sms_stub) -> None:
    stub, url = sms_stub
    sms = make_sms(url, secret="not-the-secret")
    try:
        result = await sms.send(msg("13800138000"))
    finally:
        await sms.aclose()
    assert not result.ok
    assert result.reason == "SignatureDoesNotMatch: Specified signature is not matched with our calculation."
    assert not result.permanent  # a credentials problem: fixed by operators, then retried


async def test_sms_a_request_altered_on_the_way_is_refused(sms_stub) -> None:
    # The query (the phone number) and the x-acs-* headers are signed: changing either breaks the signature.
    stub, url = sms_stub
    sms = make_sms(url)
    try:
        signed_url, headers = sms.signed_request(msg("13800138000"))
        async with httpx.AsyncClient() as client:
            other_phone = await client.post(signed_url.replace("13800138000", "13800138001"), headers=headers)
            signed_url, headers = sms.signed_request(msg("13800138000"))
            other_action = await client.post(signed_url, headers={**headers, "x-acs-action": "SendBatchSms"})
    finally:
        await sms.aclose()
    assert other_phone.json()["Code"] == "SignatureDoesNotMatch"
    assert other_action.json()["Code"] == "SignatureDoesNotMatch"
    assert stub.nonces == set()  # nothing was accepted


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", True),
        ("isv.TEMPLATE_MISSING_PARAMETERS", True),
        ("isv.SMS_TEMPLATE_ILLEGAL", True),
        ("isv.SMS_SIGNATURE_ILLEGAL", True),
        ("isv.BLACK_KEY_CONTROL_LIMIT", True),
        ("isv.AMOUNT_NOT_ENOUGH", False),
        ("isv.BUSINESS_LIMIT_CONTROL", False),
        ("isp.SYSTEM_ERROR", False),
        ("isv.SOMETHING_NEW", False),
    ],
)
async def test_sms_error_codes_are_classified(sms_stub, code: str, permanent: bool) -> None:
    stub, url = sms_stub
    stub.codes["13900000000"] = code
    sms = make_sms(url)
    try:
        result = await sms.send(msg("13900000000"))
    finally:
        await sms.aclose()
    assert not result.ok
    assert result.permanent is permanent
    assert result.reason == f"{code}: {ALIYUN_MESSAGES.get(code, code)}"
    assert result.provider_message_id is None


async def test_sms_provider_5xx_is_transient(sms_stub) -> None:
    stub, url = sms_stub
    stub.http_500_for.add("13700000000")
    sms = make_sms(url)
    try:
        result = await sms.send(msg("13700000000"))
    finally:
        await sms.aclose()
    assert not result.ok and not result.permanent
    assert result.reason.startswith("HTTP 503")


async def test_sms_network_error_is_transient() -> None:
    sms = make_sms(f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    try:
        result = await sms.send(msg("13800138000"))
    finally:
        await sms.aclose()
    assert not result.ok and not result.permanent
    assert result.reason.startswith("network:")


async def test_sms_without_template_is_permanent() -> None:
    sms = make_sms("http://127.0.0.1:9/")
    result = await sms.send(msg("13800138000", template_id=None))
    assert not result.ok and result.permanent


# --------------------------------------------------------------------------------------------
# WeChat stub
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def wx_stub() -> AsyncIterator[tuple[WeChatStub, str]]:
    stub = WeChatStub()
    async with serve(stub.app()) as url:
        yield stub, url


def wx_msg(openid: str = "oUser1", **kw) -> OutgoingMessage:
    kw.setdefault("template_id", TEMPLATE_ID)
    kw.setdefault("params", {"thing1": "依申请公开答复", "time2": "2024-05-01 10:00"})
    kw.setdefault("page", "pages/request/detail?id=42")
    return msg(openid, **kw)


def make_wx(url: str, **kw) -> WeChatSubscribe:
    return WeChatSubscribe(appid=APPID, secret=kw.pop("secret", APPSECRET), base_url=url, **kw)


async def test_wechat_success_sends_the_subscribe_format(wx_stub) -> None:
    stub, url = wx_stub
    wx = make_wx(url)
    channel: Channel = wx  # structurally a Channel
    assert channel.name == "wechat"
    try:
        result = await wx.send(wx_msg())
    finally:
        await wx.aclose()
    assert result == SendResult.sent("1001")
    assert stub.sends == [
        {
            "touser": "oUser1",
            "template_id": TEMPLATE_ID,
            "page": "pages/request/detail?id=42",
            "data": {"thing1": {"value": "依申请公开答复"}, "time2": {"value": "2024-05-01 10:00"}},
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        }
    ]


async def test_wechat_token_is_cached_across_sends(wx_stub) -> None:
    stub, url = wx_stub
    wx = make_wx(url)
    try:
        first = await wx.send(wx_msg())
        second = await wx.send(wx_msg("oUser2"))
    finally:
        await wx.aclose()
    assert first.ok and second.ok
    assert stub.token_fetches == 1


async def test_wechat_concurrent_sends_fetch_the_token_once(wx_stub) -> None:
    stub, url = wx_stub
    stub.token_delay = 0.2
    wx = make_wx(url)
    try:
        results = await asyncio.gather(*(wx.send(wx_msg(f"oUser{i}")) for i in range(5)))
    finally:
        await wx.aclose()
    assert all(r.ok for r in results)
    assert stub.token_fetches == 1


async def test_wechat_expired_token_is_refreshed_once_then_sent(wx_stub) -> None:
    stub, url = wx_stub
    wx = make_wx(url)
    try:
        assert (await wx.send(wx_msg())).ok
        stub.expire_all()  # WeChat revoked it early (e.g. another server fetched a new one)
        result = await wx.send(wx_msg("oUser2"))
    finally:
        await wx.aclose()
    assert result.ok
    assert stub.token_fetches == 2
    assert stub.send_tokens == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]


async def test_wechat_token_refresh_is_tried_only_once(wx_stub) -> None:
    stub, url = wx_stub
    stub.always_expire = True
    wx = make_wx(url)
    try:
        result = await wx.send(wx_msg())
    finally:
        await wx.aclose()
    assert not result.ok and not result.permanent
    assert result.reason.startswith("42001:")
    assert stub.token_fetches == 2 and len(stub.send_tokens) == 2


async def test_wechat_token_refetched_before_expires_in(wx_stub) -> None:
    stub, url = wx_stub
    stub.expires_in = 7200
    now = [1000.0]
    wx = make_wx(url, clock=lambda: now[0], refresh_margin=300)
    try:
        assert (await wx.send(wx_msg())).ok
        now[0] += 7200 - 301
        assert (await wx.send(wx_msg())).ok
        assert stub.token_fetches == 1
        now[0] += 2  # inside the refresh margin
        assert (await wx.send(wx_msg())).ok
    finally:
        await wx.aclose()
    assert stub.token_fetches == 2


@pytest.mark.parametrize(
    ("message", "errcode", "permanent"),
    [
        (wx_msg("oUnsubscribed"), 43101, True),
        (wx_msg("not-an-openid"), 40003, True),
        (wx_msg(template_id="TPL-unknown"), 40037, True),
        (wx_msg(params={"thing1": "only one"}), 47003, True),
        (wx_msg("oBusy"), -1, False),
        (wx_msg("oQuota"), 45009, False),
    ],
)
async def test_wechat_errors_are_classified(wx_stub, message: OutgoingMessage, errcode: int, permanent: bool) -> None:
    stub, url = wx_stub
    stub.unsubscribed.add("oUnsubscribed")
    stub.openid_errcode.update({"oBusy": -1, "oQuota": 45009})
    wx = make_wx(url)
    try:
        result = await wx.send(message)
    finally:
        await wx.aclose()
    assert not result.ok
    assert result.permanent is permanent
    assert result.reason.startswith(f"{errcode}: ")
    if errcode == 43101:
        assert "refused" in result.reason and "user refuse to accept the msg" in result.reason


async def test_wechat_provider_5xx_is_transient(wx_stub) -> None:
    stub, url = wx_stub
    stub.http_500 = True
    wx = make_wx(url)
    try:
        result = await wx.send(wx_msg())
    finally:
        await wx.aclose()
    assert not result.ok and not result.permanent
    assert result.reason.startswith("HTTP 502")


async def test_wechat_network_error_is_transient() -> None:
    wx = make_wx(f"http://127.0.0.1:{free_port()}")
    try:
        result = await wx.send(wx_msg())
    finally:
        await wx.aclose()
    assert not result.ok and not result.permanent
    assert "network" in result.reason


async def test_wechat_bad_secret_fails_transiently_with_the_provider_reason(wx_stub) -> None:
    stub, url = wx_stub
    wx = make_wx(url, secret="wrong")
    try:
        result = await wx.send(wx_msg())
    finally:
        await wx.aclose()
    assert not result.ok and not result.permanent
    assert result.reason == "token: 40125: invalid appsecret"
    assert stub.sends == []
