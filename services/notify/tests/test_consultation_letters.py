"""Art. 32 / 34 consultation letters end to end: the requests service starts a consultation, notify writes to the party."""

from __future__ import annotations

import json
from datetime import date
from email.header import decode_header, make_header

import pytest

from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.notify.tests.stubs import ACCESS_KEY_ID, ACCESS_KEY_SECRET, SIGN_NAME, SmsStub, serve
from services.notify.tests.support import notifications
from services.notify.tests.test_notify_e2e import _body, _seed_agency
from services.notify.tests.test_notify_e2e import smtp as smtp  # noqa: F401  (a fixture, used by name)
from services.requests.app import create_app as requests_app
from services.requests.settings import RequestsSettings
from services.requests.tests.conftest import replicate_officer
from shared.testing import auth, eventually, running_app, settings_for

API = "/api/v1/requests"


@pytest.fixture
async def sms_provider():
    stub = SmsStub(templates={"SMS_CONSULT": {"code", "due"}})
    async with serve(stub.app()) as url:
        yield stub, url


async def test_a_third_party_gets_the_letter_by_email_and_sms_and_another_agency_without_either_by_post(
    broker, databases, topic_prefix, smtp, sms_provider, tmp_path
):
    mailbox, smtp_port, _ = smtp
    sms, sms_url = sms_provider
    rs = settings_for(
        RequestsSettings,
        database_url=await databases.new("requests"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path),
        run_scheduler=False,
        run_consumers=False,
    )
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        dispatch_interval_seconds=0.2,
        sms_access_key_id=ACCESS_KEY_ID,
        sms_access_key_secret=ACCESS_KEY_SECRET,
        sms_sign_name=SIGN_NAME,
        sms_base_url=sms_url,
        sms_templates={"consultation_letter": "SMS_CONSULT"},
    )
    req_app, note_app = requests_app(rs), notify_app(ns)
    async with running_app(req_app) as requests, running_app(note_app) as notify:
        req_app.state.today = lambda: date(2026, 9, 28)
        agency = await _seed_agency(req_app.state.runtime)
        await replicate_officer(req_app.state.runtime, "handler-1", [agency])
        created = await requests.post(f"{API}/requests", json=_body(agency), headers=auth(rs, "applicant", sub="citizen-1"))
        assert created.status_code == 201, created.text
        rid, tracking = created.json()["id"], created.json()["tracking_number"]
        head, handler = auth(rs, "head", agency_id=agency, sub="head-1"), auth(rs, "handler", agency_id=agency, sub="handler-1")
        assert (await requests.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=head)).status_code == 200
        third = await requests.post(
            f"{API}/requests/{rid}/consultations",
            headers=handler,
            json={
                "kind": "third_party",
                "party": "某某商贸有限公司",
                "question": "拟公开的低保资金发放名册涉及贵公司承办信息，是否同意公开",
                "party_contact": "联系人王经理，手机 139-1234-5678，邮箱 wang@shangmao.example.com",
            },
        )
        assert third.status_code == 200, third.text
        agency_letter = await requests.post(
            f"{API}/requests/{rid}/consultations",
            headers=handler,
            json={
                "kind": "inter_agency",
                "party": "某某县财政局",
                "question": "资金拨付数据由贵局共同制作，是否同意公开",
                "party_contact": "某某县人民路1号财政局办公室 0531-87654321",
            },
        )
        assert agency_letter.status_code == 200, agency_letter.text
        consultations = {c["kind"]: c for c in agency_letter.json()["consultations"]}
        due = consultations["third_party"]["reply_due_on"]

        await eventually(
            lambda: any("征求第三方意见函" in str(make_header(decode_header(m["Subject"]))) for m in mailbox.messages),
            timeout=60,
            message="the third party's letter by e-mail",
        )
        mail = next(m for m in mailbox.messages if "征求第三方意见函" in str(make_header(decode_header(m["Subject"]))))
        text = mail.get_payload(decode=True).decode(mail.get_content_charset() or "utf-8")
        assert mail["To"] == "wang@shangmao.example.com" and tracking in str(make_header(decode_header(mail["Subject"])))
        assert text.startswith("某某商贸有限公司：") and "请公开2025年度城乡低保资金发放情况" in text and "是否同意公开" in text
        assert f"请于{due}前" in text and "逾期未提出意见的，由本机关依照《政府信息公开条例》的规定决定是否公开" in text
        assert "张三" not in text and "13800138000" not in text  # nothing about the applicant goes to the third party

        await eventually(lambda: sms.requests, timeout=30, message="the third party's SMS")
        assert sms.requests[0]["PhoneNumbers"] == "13912345678" and sms.requests[0]["TemplateCode"] == "SMS_CONSULT"
        assert json.loads(sms.requests[0]["TemplateParam"]) == {"code": tracking, "due": due}

        async def letter_to_post():
            return (await notify.get("/api/v1/notify/post", headers=auth(ns, "registrar", agency_id=agency))).json()

        [letter] = await eventually(letter_to_post, timeout=30, message="the letter to the other agency on the post list")
        assert letter["addressee"] == "某某县财政局" and letter["address"] == "某某县人民路1号财政局办公室 0531-87654321"
        assert letter["kind"] == "consultation_letter" and "第三十四条" in letter["body"] and "视为同意公开" in letter["body"]

        third_party, other_agency = f"party:{consultations['third_party']['id']}", f"party:{consultations['inter_agency']['id']}"

        async def settled():
            rows = await notifications(note_app, request_id=rid, kind="consultation_letter")
            statuses = {(n.recipient, n.channel): n.status for n in rows}
            return statuses if statuses.get((third_party, "post")) == "not_needed" else None

        statuses = await eventually(settled, timeout=30, message="the third party's letters settled")
        # Delivered by e-mail and SMS, so the letter kept in reserve is not needed; the other agency's goes by post.
        assert statuses == {
            (third_party, "email"): "sent",
            (third_party, "sms"): "sent",
            (third_party, "post"): "not_needed",
            (other_agency, "post"): "to_post",
        }
        assert not [m for m in mailbox.messages if "征求意见函（" in str(make_header(decode_header(m["Subject"])))]
