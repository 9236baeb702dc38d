"""A database that is down or busy: APIs answer 503 with Retry-After, consumers wait for it and lose nothing.

Issue #16: the requests API answered 500 while its PostgreSQL refused connections, and a consumer
dead-lettered a good event when the database came back just at its last attempt.
"""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from services.audit.adapters.orm import plumbing as audit_plumbing
from services.audit.app import build_spec as audit_spec
from services.audit.service.record import record_event
from services.audit.settings import AuditSettings
from services.requests.app import create_app as requests_app
from services.requests.settings import RequestsSettings
from services.requests.tests.conftest import API, _replicate, request_body
from shared.consumer import ConsumerRunner, Subscription
from shared.contracts.topics import CATALOG_AGENCIES
from shared.db import database_unavailable, new_id
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime
from shared.testing import _asyncpg_dsn, eventually, postgres_admin_url, settings_for
from tests.helpers import agency_event, audit_count

LOCKED = sa_exc.OperationalError("INSERT INTO audit_entries …", {}, sqlite3.OperationalError("database is locked"))


def test_outage_errors_are_told_apart_from_errors_in_the_work() -> None:
    assert database_unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert database_unavailable(LOCKED)
    assert database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    assert not database_unavailable(sa_exc.IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not database_unavailable(sa_exc.ProgrammingError("SELECT …", {}, sqlite3.ProgrammingError("no such column")))
    assert not database_unavailable(RuntimeError("a bug in the handler"))
    assert not database_unavailable(FileNotFoundError("missing template"))


async def _topic_exists(bootstrap: str, topic: str) -> bool:
    """The dead-letter topic is created with its first letter: no topic, no letter."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return topic in await admin.list_topics()
    finally:
        await admin.close()


async def _audit_runtime(settings: AuditSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(audit_spec(settings))
    await runtime.migrate()
    return runtime


async def test_database_back_at_the_last_attempt_handles_the_event_and_parks_nothing(broker, databases, topic_prefix):
    """Deterministic: the database is unavailable for more tries than consumer_max_attempts, then returns."""
    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix, consumer_max_attempts=3
    )
    runtime = await _audit_runtime(settings)
    event = agency_event("数据库恢复时到达的事件")
    outage_tries = settings.consumer_max_attempts + 2  # more than a handler error would ever get
    tries = {"n": 0}
    seen_waiting: list[dict[str, str]] = []

    async def handler(uow, envelope):
        tries["n"] += 1
        if tries["n"] <= outage_tries:
            if tries["n"] == outage_tries:
                seen_waiting.append(await runtime.readiness())
            raise LOCKED
        await record_event(uow, envelope)

    runner = ConsumerRunner(Subscription("outage", [CATALOG_AGENCIES], {"*": handler}), runtime.uow, settings, audit_plumbing.inbox)
    runtime.consumers = [runner]
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        topic = settings.topic(CATALOG_AGENCIES)
        await ensure_topics(settings, [topic])
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        await producer.send_and_wait(topic, event.to_bytes(), key=b"k")
        await producer.stop()

        async def recorded():
            return await audit_count(settings.database_url, event_id=event.event_id) == 1

        await eventually(recorded, timeout=60, message="the event, once the database is back")
        assert tries["n"] == outage_tries + 1
        async with runtime.sessions() as s:
            outcome = (
                await s.execute(select(audit_plumbing.inbox.c.outcome).where(audit_plumbing.inbox.c.event_id == event.event_id))
            ).scalar_one()
        assert outcome == "handled"
        assert not await _topic_exists(broker.bootstrap, f"{topic_prefix}dlq.audit.outage")
        # While it waited, readiness said so; once handled, it no longer does.
        assert any("waiting: database unavailable" in v for v in seen_waiting[0].values()), seen_waiting
        assert not [k for k in (await runtime.readiness()) if k.startswith("consumer ")]
    finally:
        stop.set()
        await task
        await runtime.stop()


async def test_a_failing_partition_waits_alone_while_the_others_go_on(broker, databases, topic_prefix):
    settings = settings_for(
        AuditSettings,
        database_url=await databases.new("audit"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        consumer_max_attempts=3,
        consumer_retry_base_delay=4.0,
        consumer_retry_max_delay=4.0,
        kafka_topic_partitions=2,
    )
    runtime = await _audit_runtime(settings)
    stuck, others = agency_event("第一次处理失败的事件"), [agency_event(f"另一分区的事件{i}") for i in range(5)]
    attempts: dict[str, int] = {}

    async def handler(uow, envelope):
        attempts[envelope.event_id] = attempts.get(envelope.event_id, 0) + 1
        if envelope.event_id == stuck.event_id and attempts[envelope.event_id] == 1:
            raise RuntimeError("下游暂不可用")
        await record_event(uow, envelope)

    runner = ConsumerRunner(Subscription("paused", [CATALOG_AGENCIES], {"*": handler}), runtime.uow, settings, audit_plumbing.inbox)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        topic = settings.topic(CATALOG_AGENCIES)
        await ensure_topics(settings, [topic])
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        await producer.send_and_wait(topic, stuck.to_bytes(), key=b"a", partition=0)
        for e in others:
            await producer.send_and_wait(topic, e.to_bytes(), key=b"b", partition=1)
        await producer.stop()

        async def others_recorded():
            return all([await audit_count(settings.database_url, event_id=e.event_id) == 1 for e in others])

        await eventually(others_recorded, timeout=60, message="the other partition's events")
        # The other partition went on while the failed message still waited for its second try.
        assert attempts[stuck.event_id] == 1

        async def stuck_recorded():
            return await audit_count(settings.database_url, event_id=stuck.event_id) == 1

        await eventually(stuck_recorded, timeout=60, message="the retried event")
        assert attempts[stuck.event_id] == 2
    finally:
        stop.set()
        await task
        await runtime.stop()


@pytest.mark.skipif(postgres_admin_url() is None, reason="needs PostgreSQL (TEST_POSTGRES_URL): an operator closing a database")
async def test_an_api_whose_database_refuses_connections_answers_503_and_loses_nothing(broker, databases, topic_prefix, tmp_path):
    url = await databases.new("requests")
    name = url.rsplit("/", 1)[1].split("?")[0]
    settings = settings_for(
        RequestsSettings,
        database_url=url,
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path / "files"),
        run_scheduler=False,
        run_consumers=False,
    )
    app = requests_app(settings)
    from shared.testing import auth, running_app

    admin = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url()), timeout=10)
    try:
        async with running_app(app) as client:
            county, agency = new_id(), new_id()
            await _replicate(app.state.runtime, county, "某某县人民政府", None)
            await _replicate(app.state.runtime, agency, "某某县民政局", county)
            applicant = auth(settings, "applicant", sub="applicant-outage")
            body = request_body(agency)
            key = {"Idempotency-Key": "outage-" + new_id()}

            # An operator closes the database and ends its sessions (as for maintenance).
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
            for resp in (
                await client.get(f"{API}/agencies"),
                await client.post(f"{API}/requests", json=body, headers={**applicant, **key}),
            ):
                assert resp.status_code == 503, resp.text
                assert resp.headers["content-type"].startswith("application/problem+json")
                assert resp.json()["code"] == "database_unavailable" and "数据库" in resp.json()["detail"]
                assert int(resp.headers["Retry-After"]) > 0

            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            # The client retries with the same Idempotency-Key: one request, not two.
            first = await client.post(f"{API}/requests", json=body, headers={**applicant, **key})
            again = await client.post(f"{API}/requests", json=body, headers={**applicant, **key})
            assert first.status_code == 201, first.text
            assert again.json()["id"] == first.json()["id"]
            mine = await client.get(f"{API}/requests/mine", headers=applicant)
            assert [r["id"] for r in mine.json()["items"]] == [first.json()["id"]]
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
