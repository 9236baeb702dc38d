"""Personal data in the audit log: sealed at rest, masked by need to know, erased by destroying its key."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import text

from services.audit.tests.support import audit_settings, client, county_tree, execute, recorder, request_event
from shared.contracts.notify import NotificationDelivered
from shared.contracts.requests import ConsultationStarted, Contact, RequestReceived
from shared.db import create_engine, new_id
from shared.events import Actor
from shared.testing import auth

URL = "/api/v1/audit/entries"
ERASE = "/api/v1/audit/personal-data/erasures"
MOBILE, EMAIL, ADDRESS = "13912345678", "zhangsan@example.com", "某某县城关镇人民路 18 号 3 单元"
SECRETS = (MOBILE, EMAIL, ADDRESS, "人民路", "zhangsan@", "13688889999")


@pytest.fixture
async def log(databases, topic_prefix):
    """A request of 甲局 by applicant-7 with full contacts, a consultation of a third party, and the notice sent."""
    settings = await audit_settings(databases, topic_prefix)
    tree, ids = county_tree()
    rid = new_id()
    contact = Contact(name="张三丰", mobile=MOBILE, email=EMAIL, address=ADDRESS)
    notice = NotificationDelivered(
        notification_id=new_id(),
        source_event_id=new_id(),
        request_id=rid,
        kind="receipt",
        channel="sms",
        recipient=MOBILE,
        statutory=True,
        attempts=1,
    ).envelope(source="notify", aggregate_id=new_id(), agency_id=ids["a"], actor=Actor.system("notify"))
    async with recorder(settings) as record:
        await record(*tree)
        await record(
            request_event(RequestReceived, rid, ids["a"], state="received", applicant_sub="applicant-7", contact=contact),
            request_event(
                ConsultationStarted,
                rid,
                ids["a"],
                consultation_id=new_id(),
                consultation_kind="third_party",
                party="某某公司",
                reply_due_on="2025-03-20",
                party_contact="13688889999",
            ),
            notice,
        )
    return settings, ids, rid


async def raw_log(settings) -> str:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return "\n".join((await conn.execute(text("SELECT envelope FROM audit_entries ORDER BY seq"))).scalars())
    finally:
        await engine.dispose()


def payloads(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return [e["payload"] for e in response.json() if e["source"] in ("requests", "notify")]


async def test_the_stored_log_holds_no_personal_data_in_the_clear(log):
    settings, _, _ = log
    stored = await raw_log(settings)
    assert "$sealed" in stored
    for secret in SECRETS:
        assert secret not in stored


async def test_supervisors_and_reviewers_see_contacts_masked_and_the_handling_agency_in_full(log):
    settings, ids, _ = log
    async with client(settings) as c:
        for role, agency in (("supervisor", ids["county"]), ("reviewer", ids["a"]), ("admin", None)):
            headers = auth(settings, role, agency_id=agency) if agency else auth(settings, role)
            received, consulted, notice = payloads(await c.get(URL, params={"limit": 100}, headers=headers))
            assert received["contact"] == {
                "name": "张**",
                "mobile": "139****5678",
                "email": "z***@example.com",
                "address": "某某县城关镇……",
            }, role
            assert consulted["party_contact"] == "136****9999"
            assert notice["recipient"] == "139****5678"
            assert received["tracking_number"] and received["agency_id"] == ids["a"]  # the facts stay readable
        handler = auth(settings, "handler", agency_id=ids["a"])
        received, consulted, notice = payloads(await c.get(URL, params={"limit": 100}, headers=handler))
        assert received["contact"]["mobile"] == MOBILE and received["contact"]["address"] == ADDRESS
        assert notice["recipient"] == MOBILE


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_exports_are_masked_like_the_listing(log, fmt):
    settings, ids, _ = log
    async with client(settings) as c:
        body = (await c.get(URL, params={"format": fmt}, headers=auth(settings, "supervisor", agency_id=ids["county"]))).text
    for secret in SECRETS:
        assert secret not in body
    assert "139****5678" in body
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
        assert any(json.loads(r["payload"]).get("contact", {}).get("name") == "张**" for r in rows)


async def test_erasing_an_applicant_destroys_their_data_for_everyone_and_the_chain_still_verifies(log):
    settings, ids, rid = log
    admin = auth(settings, "admin")
    async with client(settings) as c:
        refused = await c.post(ERASE, json={"applicant_sub": "applicant-7"}, headers=auth(settings, "supervisor", agency_id=ids["county"]))
        assert refused.status_code == 403
        erased = await c.post(ERASE, json={"applicant_sub": "applicant-7"}, headers=admin)
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased_subjects"] == [f"request:{rid}"]
        handler = auth(settings, "handler", agency_id=ids["a"])
        received, consulted, notice = payloads(await c.get(URL, params={"limit": 100}, headers=handler))
        assert received["contact"] == "〔已删除〕" and consulted["party_contact"] == "〔已删除〕" and notice["recipient"] == "〔已删除〕"
        assert received["tracking_number"]
        verified = (await c.get("/api/v1/audit/verify", headers=admin)).json()
        assert verified["ok"] is True, verified
        entries = (await c.get(URL, params={"event_type": "PersonalDataErased"}, headers=admin)).json()
        assert [e["actor_sub"] for e in entries] == ["admin-test"]
        again = await c.post(ERASE, json={"applicant_sub": "applicant-7"}, headers=admin)
        assert again.status_code == 404 and again.json()["code"] == "personal_data_not_found"


async def test_what_arrives_after_erasure_is_not_kept_either(log):
    settings, ids, rid = log
    async with client(settings) as c:
        assert (await c.post(ERASE, json={"request_id": rid}, headers=auth(settings, "admin"))).status_code == 200
    late = NotificationDelivered(
        notification_id=new_id(),
        source_event_id=new_id(),
        request_id=rid,
        kind="answer",
        channel="email",
        recipient=EMAIL,
        statutory=True,
        attempts=1,
    ).envelope(source="notify", aggregate_id=new_id(), agency_id=ids["a"], actor=Actor.system("notify"))
    async with recorder(settings) as record:
        await record(late)
    stored = await raw_log(settings)
    assert EMAIL not in stored
    async with client(settings) as c:
        entries = (
            await c.get(URL, params={"event_type": "NotificationDelivered"}, headers=auth(settings, "handler", agency_id=ids["a"]))
        ).json()
    assert [e["payload"]["recipient"] for e in entries] == ["〔已删除〕", "〔已删除〕"]


@pytest.mark.parametrize("body", [{}, {"applicant_sub": "a", "request_id": "b"}, {"applicant_sub": ""}])
async def test_an_erasure_names_exactly_one_subject(log, body):
    settings, _, _ = log
    async with client(settings) as c:
        response = await c.post(ERASE, json=body, headers=auth(settings, "admin"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_ciphertext_moved_or_altered_does_not_open_and_breaks_the_chain(log):
    settings, ids, _ = log
    # Someone with database access swaps the notice's sealed recipient for the applicant's sealed mobile.
    stored = [json.loads(line) for line in (await raw_log(settings)).splitlines()]
    received = next(e for e in stored if e["type"] == "RequestReceived")
    notice = next(e for e in stored if e["type"] == "NotificationDelivered")
    notice["payload"]["recipient"] = received["payload"]["contact"]
    await execute(
        settings.database_url,
        "UPDATE audit_entries SET envelope = :env WHERE event_id = :id",
        env=json.dumps(notice, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        id=notice["event_id"],
    )
    async with client(settings) as c:
        admin = auth(settings, "admin")
        entries = (await c.get(URL, params={"event_type": "NotificationDelivered"}, headers=admin)).json()
        assert entries[0]["payload"]["recipient"] == "〔无法解密〕"
        assert (await c.get("/api/v1/audit/verify", headers=admin)).json()["ok"] is False
