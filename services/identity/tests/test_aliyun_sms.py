"""The Aliyun SMS sender against a local stand-in that checks the ACS3-HMAC-SHA256 signature itself."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote, unquote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.identity.adapters.sms import AliyunSender
from services.identity.app import create_app
from services.identity.tests.conftest import API, identity_settings
from services.identity.tests.test_sms_login import solve
from shared.errors import Problem
from shared.testing import assert_problem, running_app, served

KEY_ID, SECRET = "LTAI-test-key", "test-secret-never-real"


def fake_aliyun(outcomes: list[str] | None = None) -> tuple[Starlette, list[dict]]:
    """Aliyun's SendSms as far as a caller sees it: it recomputes the signature from the request, as Aliyun does."""
    sent: list[dict] = []
    queue = list(outcomes or [])

    async def rpc(request: Request) -> JSONResponse:
        body = await request.body()
        auth = request.headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.split("=", 1) for part in rest.split(",")) if rest else {}
        signed = fields.get("SignedHeaders", "").split(";")
        # The canonical request, written out again from the V3 documentation rather than taken from the sender.
        pairs = sorted((unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in request.url.query.split("&")) if k)
        query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
        headers = "".join(f"{name}:{request.headers.get(name, '').strip()}\n" for name in signed)
        payload = hashlib.sha256(body).hexdigest()
        canonical = f"{request.method}\n{request.url.path}\n{query}\n{headers}\n{';'.join(signed)}\n{payload}"
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        must_sign = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
        if (
            algorithm != "ACS3-HMAC-SHA256"
            or fields.get("Credential") != KEY_ID
            or not must_sign <= set(signed)
            or request.headers.get("x-acs-content-sha256") != payload
            or not hmac.compare_digest(fields.get("Signature", ""), expected)
        ):
            return JSONResponse(
                {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched", "RequestId": "fake"}, status_code=400
            )
        if request.headers.get("x-acs-action") != "SendSms" or request.headers.get("x-acs-version") != "2017-05-25":
            return JSONResponse({"Code": "InvalidAction.NotFound", "RequestId": "fake"}, status_code=404)
        params = dict(pairs)
        outcome = queue.pop(0) if queue else "OK"
        if outcome == "OK":
            sent.append(params)
            return JSONResponse({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "fake"})
        return JSONResponse({"Code": outcome, "Message": "refused", "RequestId": "fake"})

    return Starlette(routes=[Route("/", rpc, methods=["POST"])]), sent


def sender(url: str, secret: str = SECRET) -> AliyunSender:
    return AliyunSender(url, KEY_ID, secret, "某某县人民政府", "SMS_123456789")


async def test_a_signed_send_reaches_aliyun_with_the_template_parameter():
    app, sent = fake_aliyun()
    async with served(app, lifespan="off") as url:
        await sender(url).send_code("13912345678", "042917", 5)
    assert len(sent) == 1
    message = sent[0]
    assert message["PhoneNumbers"] == "13912345678" and message["SignName"] == "某某县人民政府"
    assert message["TemplateCode"] == "SMS_123456789" and json.loads(message["TemplateParam"]) == {"code": "042917"}
    assert len(message["OutId"]) == 32


async def test_a_wrong_secret_is_refused_by_aliyun_and_answered_503():
    app, sent = fake_aliyun()
    async with served(app, lifespan="off") as url:
        with pytest.raises(Problem) as refused:
            await sender(url, secret="not-the-secret").send_code("13912345678", "042917", 5)
    assert refused.value.status == 503 and refused.value.code == "sms_unavailable" and not sent


@pytest.mark.parametrize(
    ("aliyun_code", "status", "code"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", 429, "sms_provider_limited"),
        ("isv.MOBILE_NUMBER_ILLEGAL", 400, "phone_invalid"),
        ("isv.AMOUNT_NOT_ENOUGH", 503, "sms_unavailable"),
    ],
)
async def test_aliyun_refusals_become_chinese_problems_and_are_not_retried(aliyun_code, status, code):
    app, sent = fake_aliyun([aliyun_code, "OK"])
    async with served(app, lifespan="off") as url:
        with pytest.raises(Problem) as refused:
            await sender(url).send_code("13912345678", "042917", 5)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.detail)
    assert not sent  # the "OK" queued next was never asked for: no blind retry


async def test_an_unreachable_aliyun_is_a_503():
    with pytest.raises(Problem) as refused:
        await sender("http://127.0.0.1:9").send_code("13912345678", "042917", 5)
    assert refused.value.status == 503


async def test_a_person_signs_in_with_a_code_sent_through_aliyun(broker, databases, topic_prefix):
    fake, sent = fake_aliyun()
    async with served(fake, lifespan="off") as url:
        settings = identity_settings(
            broker,
            await databases.new("identity"),
            topic_prefix,
            sms_sender="aliyun",
            aliyun_sms_endpoint=url,
            aliyun_access_key_id=KEY_ID,
            aliyun_access_key_secret=SECRET,
            aliyun_sms_sign_name="某某县人民政府",
            aliyun_sms_template_code="SMS_123456789",
        )
        app = create_app(settings)
        async with running_app(app) as client:
            c = (await client.post(f"{API}/captcha")).json()
            resp = await client.post(
                f"{API}/sms/send",
                json={"phone": "13912345678", "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])},
            )
            assert resp.status_code == 202, resp.text
            code = json.loads(sent[-1]["TemplateParam"])["code"]
            login = await client.post(f"{API}/sms/login", json={"phone": "13912345678", "code": code})
            assert login.status_code == 200, login.text
            assert login.json()["account"]["roles"] == ["applicant"]
    assert sent[0]["PhoneNumbers"] == "13912345678"


async def test_aliyun_flow_control_reaches_the_person_as_429(broker, databases, topic_prefix):
    fake, sent = fake_aliyun(["isv.BUSINESS_LIMIT_CONTROL"])
    async with served(fake, lifespan="off") as url:
        settings = identity_settings(
            broker,
            await databases.new("identity"),
            topic_prefix,
            sms_sender="aliyun",
            aliyun_sms_endpoint=url,
            aliyun_access_key_id=KEY_ID,
            aliyun_access_key_secret=SECRET,
            aliyun_sms_sign_name="某某县人民政府",
            aliyun_sms_template_code="SMS_123456789",
        )
        async with running_app(create_app(settings)) as client:
            c = (await client.post(f"{API}/captcha")).json()
            resp = await client.post(
                f"{API}/sms/send",
                json={"phone": "13912345678", "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])},
            )
    assert_problem(resp, 429, "sms_provider_limited")
    assert resp.headers["retry-after"] == "60" and not sent
