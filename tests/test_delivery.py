"""Events cross services exactly once: through the outbox, across broker outages, crashes and duplicates."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update

from services.catalog.adapters.orm import plumbing as catalog_plumbing
from services.requests.adapters.orm import plumbing as requests_plumbing
from shared.testing import Broker, auth, eventually, running_app, service_env
from tests.helpers import audit_app, audit_count, catalog_app, handled, metric_value, publish_raw, requests_app, scalar, service_settings

AGENCIES = "/api/v1/catalog/agencies"


async def _register(client, settings, name: str, **headers: str) -> str:
    response = await client.post(AGENCIES, json={"name": name, "kind": "county_government"}, headers={**auth(settings, "admin"), **headers})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_agency_registered_in_catalog_reaches_requests_and_audit_once(broker, databases, topic_prefix):
    s = await service_settings(databases, broker, topic_prefix)
    async with (
        running_app(catalog_app(s["catalog"])) as catalog,
        running_app(requests_app(s["requests"])) as requests,
        running_app(audit_app(s["audit"])) as audit,
    ):
        agency_id = await _register(catalog, s["catalog"], "某某县人民政府", **{"X-Request-ID": "citizen-call-42"})

        async def replicated():
            return [a for a in (await requests.get("/api/v1/requests/agencies")).json() if a["id"] == agency_id]

        assert (await eventually(replicated, message="agency replicated to requests"))[0]["name"] == "某某县人民政府"

        supervisor = auth(s["audit"], "supervisor", agency_id=agency_id)

        async def logged():
            return (await audit.get("/api/v1/audit/entries", params={"aggregate_id": agency_id}, headers=supervisor)).json()

        entries = await eventually(logged, message="audit entry")
        assert [e["event_type"] for e in entries] == ["AgencyRegistered"]
        # The correlation id of the HTTP call travels with the event into another service.
        assert entries[0]["correlation_id"] == "citizen-call-42"
        assert entries[0]["actor_role"] == "admin"
        assert await audit_count(s["audit"].database_url) == 1


async def test_event_committed_while_broker_is_down_is_delivered_once_when_it_returns(databases, topic_prefix):
    outage_broker = Broker().start()
    try:
        s = await service_settings(databases, outage_broker, topic_prefix)
        async with running_app(catalog_app(s["catalog"])) as catalog, running_app(audit_app(s["audit"])):
            outage_broker.stop()
            agency_id = await _register(catalog, s["catalog"], "断网期间登记的机关")
            outbox = catalog_plumbing.outbox
            pending = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            await asyncio.sleep(1.5)
            assert await scalar(s["catalog"].database_url, pending) == 1, "the event must wait in the outbox"

            outage_broker.start()  # same port, and empty: a broker that lost everything
            await eventually(
                lambda: audit_count(s["audit"].database_url, aggregate_id=agency_id),
                timeout=90,
                message="audit entry after broker recovery",
            )
            assert await scalar(s["catalog"].database_url, pending) == 0
            await asyncio.sleep(1.0)
            assert await audit_count(s["audit"].database_url, aggregate_id=agency_id) == 1
    finally:
        outage_broker.stop()


async def test_same_event_published_twice_is_applied_once(broker, databases, topic_prefix):
    s = await service_settings(databases, broker, topic_prefix)
    catalog_app_ = catalog_app(s["catalog"])
    async with running_app(catalog_app_) as catalog, running_app(requests_app(s["requests"])), running_app(audit_app(s["audit"])):
        agency_id = await _register(catalog, s["catalog"], "重复投递测试机关")
        await eventually(lambda: audit_count(s["audit"].database_url, aggregate_id=agency_id), message="first delivery")
        before = handled("audit", "event-log", "duplicate")
        before_requests = handled("requests", "agency-replica", "duplicate")

        # The relay publishes the row again (as after a crash between publish and mark) ...
        outbox = catalog_plumbing.outbox
        runtime = catalog_app_.state.runtime
        async with runtime.sessions() as session:
            body = (await session.execute(select(outbox.c.body).where(outbox.c.key == agency_id))).scalar_one()
            await session.execute(update(outbox).where(outbox.c.key == agency_id).values(published_at=None))
            await session.commit()
        runtime.relay.wake()
        # ... and someone replays the raw message by hand.
        await publish_raw(broker.bootstrap, s["catalog"].topic("catalog.agencies"), [(agency_id.encode(), body.encode())])

        await eventually(lambda: handled("audit", "event-log", "duplicate") - before >= 2, message="both duplicates seen")
        assert await audit_count(s["audit"].database_url, aggregate_id=agency_id) == 1
        inbox = requests_plumbing.inbox
        await eventually(
            lambda: handled("requests", "agency-replica", "duplicate") - before_requests >= 2, message="requests saw duplicates"
        )
        assert await scalar(s["requests"].database_url, select(func.count()).select_from(inbox)) == 1


async def test_consumer_crash_after_db_commit_before_offset_commit_replays_without_double_apply(
    broker, databases, topic_prefix, processes, tmp_path
):
    s = await service_settings(databases, broker, topic_prefix)
    env = service_env("audit", database_url=s["audit"].database_url, bootstrap=broker.bootstrap, prefix=topic_prefix)
    crashing = processes("audit", env, tmp_path).start(extra_env={"FAILPOINTS": "consumer.after_db_commit"})
    await crashing.wait_ready()
    async with running_app(catalog_app(s["catalog"])) as catalog:
        agency_id = await _register(catalog, s["catalog"], "消费者崩溃测试机关")
        await eventually(lambda: crashing.proc.poll() is not None, timeout=60, message="audit process to crash at the fail point")
        assert crashing.proc.returncode == 86, crashing.log_tail()
        # The entry was committed before the crash; the offset was not.
        assert await audit_count(s["audit"].database_url, aggregate_id=agency_id) == 1

        restarted = processes("audit", env, tmp_path).start()
        await restarted.wait_ready()
        import httpx

        async with httpx.AsyncClient() as client:

            async def redelivered() -> bool:
                text = (await client.get(restarted.url + "/metrics")).text
                return metric_value(text, "events_handled_total", service="audit", consumer="event-log", outcome="duplicate") >= 1

            await eventually(redelivered, timeout=60, message="redelivered event recognised as a duplicate")
        assert await audit_count(s["audit"].database_url, aggregate_id=agency_id) == 1
        assert await audit_count(s["audit"].database_url) == 1
