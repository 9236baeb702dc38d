"""The post list: letters for recipients nothing electronic reaches, the officers who see them, recording the mailing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from services.notify.adapters.orm import KnownAgency
from services.notify.app import create_app as notify_app
from services.notify.service.fanout import FanOutConfig, fan_out
from services.notify.service.post import on_agency_event
from services.notify.settings import NotifySettings
from services.notify.tests.support import fan, notifications, outbox_events, request_event
from shared.contracts.catalog import AgencyRegistered, AgencyUpdated
from shared.contracts.requests import Contact
from shared.events import Actor
from shared.kafka import ensure_topics
from shared.testing import assert_problem, auth, eventually, running_app, settings_for

URL = "/api/v1/notify/post"
ADDRESS = "某某县城关镇幸福路18号2单元301室"
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # letters are created now: the mailing dates follow
POSTED, TOMORROW, LONG_AGO = TODAY.isoformat(), (TODAY + timedelta(days=1)).isoformat(), (TODAY - timedelta(days=30)).isoformat()


@pytest.fixture
async def notify(broker, databases, topic_prefix):
    ns = settings_for(
        NotifySettings,
        database_url=await databases.new("notify"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        run_consumers=False,
        smtp_host="127.0.0.1",
    )
    app = notify_app(ns)
    async with running_app(app) as client:
        app.state.today = lambda: TODAY
        # county ─┬─ civil affairs bureau ── its sub-office
        #         └─ finance bureau
        async with app.state.runtime.uow() as uow:
            for agency, parent in [("county", None), ("civil", "county"), ("civil-office", "civil"), ("finance", "county")]:
                event = AgencyRegistered(agency_id=agency, name=agency, kind="department", parent_id=parent)
                await on_agency_event(uow, event.envelope(source="catalog", aggregate_id=agency, actor=Actor.system("test")))
            await uow.commit()
        yield app, client, ns


def officer(ns, role: str, agency: str = "civil", sub: str | None = None) -> dict[str, str]:
    return auth(ns, role, agency_id=agency, sub=sub or f"{role}-{agency}")


async def _letter(app, ns, agency: str = "civil", address: str | None = ADDRESS) -> str:
    envelope = request_event(sub=None, agency=agency, contact=Contact(name="王老汉", address=address))
    await fan(app, envelope, ns)
    [letter] = await notifications(app, request_id=envelope.payload["request_id"])
    return letter.id


async def test_a_letter_applicant_with_no_account_email_or_mobile_gets_a_letter_and_no_inbox_copy(notify):
    app, client, ns = notify
    envelope = request_event(sub=None, contact=Contact(name="王老汉", address=ADDRESS), agency="civil")
    await fan(app, envelope, ns)
    [letter] = await notifications(app, request_id=envelope.payload["request_id"])
    assert (letter.channel, letter.status, letter.address, letter.addressee) == ("post", "to_post", ADDRESS, "王老汉")
    assert letter.statutory and "受理回执" in letter.subject and "王老汉：" in letter.body


async def test_an_applicant_without_account_but_with_email_gets_the_email_and_a_letter_in_reserve_not_on_the_list(notify):
    app, client, ns = notify
    envelope = request_event(sub=None, agency="civil", contact=Contact(name="李四", email="lisi@example.com", address=ADDRESS))
    await fan(app, envelope, ns)
    assert {(n.channel, n.status) for n in await notifications(app, request_id=envelope.payload["request_id"])} == {
        ("email", "pending"),
        ("post", "standby"),
    }
    assert (await client.get(URL, headers=officer(ns, "registrar"))).json() == []
    [reserve] = await notifications(app, request_id=envelope.payload["request_id"], channel="post")
    assert_problem(
        await client.post(
            f"{URL}/{reserve.id}/posted", headers=officer(ns, "registrar"), json={"tracking_number": "XA123456789CN", "posted_on": POSTED}
        ),
        409,
        "letter_not_needed",
    )


async def test_a_mobile_the_deployment_cannot_text_still_leaves_a_letter(notify):
    app, client, ns = notify  # no SMS configured
    envelope = request_event(sub=None, contact=Contact(name="赵六", mobile="13800138000", address=ADDRESS))
    await fan(app, envelope, ns)
    rows = {n.channel: n for n in await notifications(app, request_id=envelope.payload["request_id"])}
    assert rows["sms"].status == "skipped" and rows["post"].status == "to_post"


async def test_a_reserve_letter_is_listed_when_the_channel_it_waited_on_turns_out_to_be_missing(notify):
    app, client, ns = notify  # the dispatcher has no SMS, though the event was fanned out when it had
    envelope = request_event(sub=None, agency="civil", contact=Contact(name="赵六", mobile="13800138000", address=ADDRESS))
    async with app.state.runtime.uow() as uow:
        await fan_out(uow, envelope, config=FanOutConfig("某县", frozenset({"email", "sms"}), {"receipt": "SMS_1"}))
        await uow.commit()

    async def listed():
        return (await client.get(URL, headers=officer(ns, "registrar"))).json()

    [letter] = await eventually(listed, timeout=30, message="the reserve letter on the post list")
    assert letter["request_id"] == envelope.payload["request_id"] and letter["address"] == ADDRESS


async def test_officers_of_the_agency_and_above_list_letters_registrars_see_the_address_heads_a_masked_one(notify):
    app, client, ns = notify
    mine = await _letter(app, ns, "civil-office")
    elsewhere = await _letter(app, ns, "finance")
    registrar = (await client.get(URL, headers=officer(ns, "registrar"))).json()
    assert [(x["id"], x["address"], x["addressee"]) for x in registrar] == [(mine, ADDRESS, "王老汉")]
    head = (await client.get(URL, headers=officer(ns, "head"))).json()
    assert [x["id"] for x in head] == [mine] and head[0]["address"] == "某某县****" and "幸福路" not in head[0]["address"]
    county = {x["id"] for x in (await client.get(URL, headers=officer(ns, "handler", "county"))).json()}
    assert county == {mine, elsewhere}
    assert [x["id"] for x in (await client.get(URL, headers=officer(ns, "registrar", "finance"))).json()] == [elsewhere]
    admin = (await client.get(URL, headers=auth(ns, "admin", sub="admin-1"))).json()
    assert {x["id"] for x in admin} == {mine, elsewhere} and all("幸福路" not in x["address"] for x in admin)


async def test_applicants_and_reviewers_may_not_see_the_post_list(notify):
    app, client, ns = notify
    await _letter(app, ns)
    assert_problem(await client.get(URL, headers=auth(ns, "applicant", sub="citizen-1")), 403)
    assert_problem(await client.get(URL, headers=officer(ns, "reviewer")), 403)
    assert_problem(await client.get(URL), 401)


async def test_a_letter_without_an_address_is_listed_and_flagged(notify):
    app, client, ns = notify
    await _letter(app, ns, address=None)
    [letter] = (await client.get(URL, headers=officer(ns, "registrar"))).json()
    assert letter["address_missing"] is True and letter["address"] == ""


async def test_recording_the_mailing_is_the_proof_of_service(notify):
    app, client, ns = notify
    letter = await _letter(app, ns)
    r = await client.post(
        f"{URL}/{letter}/posted", headers=officer(ns, "registrar"), json={"tracking_number": "XA123456789CN", "posted_on": POSTED}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["tracking_number"], body["posted_on"], body["posted_by"]) == (
        "sent",
        "XA123456789CN",
        POSTED,
        "registrar-civil",
    )
    assert (await client.get(URL, headers=officer(ns, "registrar"))).json() == []  # no longer to post
    assert [x["id"] for x in (await client.get(URL, params={"status": "sent"}, headers=officer(ns, "registrar"))).json()] == [letter]
    [delivered] = [e for e in await outbox_events(app, "NotificationDelivered") if e["payload"]["notification_id"] == letter]
    assert delivered["payload"]["channel"] == "post" and delivered["payload"]["provider_message_id"] == "XA123456789CN"
    assert delivered["payload"]["posted_on"] == POSTED and delivered["actor"]["sub"] == "registrar-civil"
    proof = (
        await client.get(
            "/api/v1/notify/deliveries", params={"request_id": delivered["payload"]["request_id"]}, headers=officer(ns, "handler")
        )
    ).json()
    assert [(d["channel"], d["status"], d["provider_message_id"], d["address"]) for d in proof] == [
        ("post", "sent", "XA123456789CN", "某某县****")
    ]

    again = assert_problem(
        await client.post(
            f"{URL}/{letter}/posted", headers=officer(ns, "head"), json={"tracking_number": "XA999999999CN", "posted_on": POSTED}
        ),
        409,
        "letter_already_posted",
    )
    assert "XA123456789CN" in again["detail"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"tracking_number": "XA12345", "posted_on": TOMORROW}, 422, "date_in_future"),
        ({"tracking_number": "XA12345", "posted_on": LONG_AGO}, 422, "posted_before_notice"),
        ({"tracking_number": "含中文的号码", "posted_on": POSTED}, 422, "validation_failed"),
        ({"posted_on": POSTED}, 422, "validation_failed"),
        ({"tracking_number": "XA123456789CN", "posted_on": "昨天"}, 422, "validation_failed"),
    ],
)
async def test_a_bad_mailing_record_is_refused_and_changes_nothing(notify, body, status, code):
    app, client, ns = notify
    letter = await _letter(app, ns)
    assert_problem(await client.post(f"{URL}/{letter}/posted", headers=officer(ns, "registrar"), json=body), status, code)
    [row] = await notifications(app, id=letter)
    assert (row.status, row.provider_message_id, row.posted_on) == ("to_post", None, None)
    assert await outbox_events(app, "NotificationDelivered") == []


async def test_only_officers_in_scope_may_record_a_mailing(notify):
    app, client, ns = notify
    letter = await _letter(app, ns)
    good = {"tracking_number": "XA123456789CN", "posted_on": POSTED}
    assert_problem(
        await client.post(f"{URL}/{letter}/posted", headers=officer(ns, "registrar", "finance"), json=good), 404, "letter_not_found"
    )
    assert_problem(await client.post(f"{URL}/{letter}/posted", headers=officer(ns, "reviewer"), json=good), 403)
    assert_problem(await client.post(f"{URL}/{letter}/posted", headers=auth(ns, "applicant", sub="c1"), json=good), 403)
    assert_problem(await client.post(f"{URL}/no-such-letter/posted", headers=officer(ns, "registrar"), json=good), 404, "letter_not_found")
    [row] = await notifications(app, id=letter)
    assert row.status == "to_post"


async def test_the_agency_tree_is_replicated_from_the_catalogs_events(broker, databases, topic_prefix):
    ns = settings_for(NotifySettings, database_url=await databases.new("notify"), bootstrap=broker.bootstrap, prefix=topic_prefix)
    app = notify_app(ns)
    async with running_app(app):
        topic = ns.topic(AgencyRegistered.topic)
        await ensure_topics(ns, [topic])
        events = [
            AgencyRegistered(agency_id="town", name="某某镇", kind="township", parent_id=None),
            AgencyUpdated(agency_id="town", name="某某镇人民政府", kind="township", parent_id="county"),
        ]
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            for event in events:
                envelope = event.envelope(source="catalog", aggregate_id="town", agency_id="town", actor=Actor.system("test"))
                await producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=b"town")
        finally:
            await producer.stop()

        async def replicated():
            async with app.state.runtime.sessions() as s:
                row = (await s.execute(select(KnownAgency).where(KnownAgency.id == "town"))).scalar_one_or_none()
                return row if row is not None and row.parent_id == "county" else None

        row = await eventually(replicated, timeout=60, message="the agency replicated")
        assert row.name == "某某镇人民政府"
