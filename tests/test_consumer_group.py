"""Replicas share a consumer group; poison messages and failing handlers go to the dead-letter topic."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from services.audit.adapters.orm import AuditEntry
from services.audit.adapters.orm import plumbing as audit_plumbing
from services.audit.app import build_spec as audit_spec
from services.audit.domain.chain import GENESIS
from services.audit.service.record import record_event
from services.audit.settings import AuditSettings
from shared.consumer import ConsumerRunner, Subscription
from shared.contracts.topics import CATALOG_AGENCIES
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime
from shared.testing import eventually, settings_for
from tests.helpers import agency_event, audit_count, publish_raw


async def _audit_runtime(settings) -> ServiceRuntime:
    runtime = ServiceRuntime(audit_spec(settings))
    await runtime.migrate()
    return runtime


async def _dead_letters(bootstrap: str, topic: str, expected: int) -> list:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"inspect-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found = []
    try:

        async def collect():
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(m for msgs in batch.values() for m in msgs)
            return len(found) >= expected

        await eventually(collect, timeout=30, message=f"{expected} dead letters on {topic}")
    finally:
        await consumer.stop()
    return found


async def test_two_replicas_split_the_partitions_and_handle_every_event_once(broker, databases, topic_prefix):
    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix, kafka_topic_partitions=4
    )
    replicas = [await _audit_runtime(settings), await _audit_runtime(settings)]
    for r in replicas:
        r.start_workers()
    try:
        first, second = (r.consumers[0] for r in replicas)
        topic = settings.topic(CATALOG_AGENCIES)

        def split():
            a = {tp.partition for tp in first.assigned if tp.topic == topic}
            b = {tp.partition for tp in second.assigned if tp.topic == topic}
            return a and b and not (a & b) and (a | b) == {0, 1, 2, 3}

        await eventually(split, timeout=60, message="both replicas assigned disjoint partitions of the agency topic")

        events = [agency_event() for _ in range(60)]
        await publish_raw(broker.bootstrap, topic, [(e.aggregate_id.encode(), e.to_bytes()) for e in events])

        async def all_recorded():
            return await audit_count(settings.database_url) >= len(events)

        await eventually(all_recorded, timeout=60, message="all 60 events recorded")
        await asyncio.sleep(1.0)  # nothing more may arrive

        async with replicas[0].sessions() as session:
            rows = (
                await session.execute(select(AuditEntry.event_id, AuditEntry.prev_hash, AuditEntry.hash).order_by(AuditEntry.seq))
            ).all()
            inbox = audit_plumbing.inbox
            partitions = set((await session.execute(select(inbox.c.partition).where(inbox.c.topic == topic))).scalars())
        assert sorted(r.event_id for r in rows) == sorted(e.event_id for e in events)  # every event, once
        assert partitions == {0, 1, 2, 3}
        # Concurrent appenders kept one unbroken chain.
        assert rows[0].prev_hash == GENESIS
        assert all(later.prev_hash == earlier.hash for earlier, later in zip(rows, rows[1:], strict=False))
        assert {tp.partition for tp in first.assigned if tp.topic == topic}.isdisjoint(
            {tp.partition for tp in second.assigned if tp.topic == topic}
        )
    finally:
        await asyncio.gather(*(r.stop() for r in replicas))


async def test_poison_message_goes_to_dead_letter_topic_and_consumer_moves_on(broker, databases, topic_prefix):
    settings = settings_for(AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix)
    runtime = await _audit_runtime(settings)
    runtime.start_workers()
    try:
        topic = settings.topic(CATALOG_AGENCIES)
        await ensure_topics(settings, [topic])
        good = agency_event()
        await publish_raw(broker.bootstrap, topic, [(b"k", b"\xff not an event {"), (b"k", b'{"type": "X"}'), (b"k", good.to_bytes())])

        async def good_recorded():
            return await audit_count(settings.database_url, event_id=good.event_id) == 1

        await eventually(good_recorded, timeout=60, message="the good event after two poison messages")

        letters = await _dead_letters(broker.bootstrap, f"{topic_prefix}dlq.audit.event-log", expected=2)
        assert [m.value for m in letters] == [b"\xff not an event {", b'{"type": "X"}']
        headers = dict(letters[0].headers)
        assert b"not an event envelope" in headers["dlq.error"]
        assert headers["dlq.original_topic"] == topic.encode()
        assert headers["dlq.consumer"] == b"audit.event-log"
        assert await audit_count(settings.database_url) == 1
    finally:
        await runtime.stop()


async def test_handler_that_keeps_failing_is_retried_then_dead_lettered(broker, databases, topic_prefix):
    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix, consumer_max_attempts=3
    )
    runtime = await _audit_runtime(settings)
    attempts: dict[str, int] = {}
    doomed = agency_event("永远失败的事件")

    async def flaky(uow, envelope):
        attempts[envelope.event_id] = attempts.get(envelope.event_id, 0) + 1
        if envelope.event_id == doomed.event_id:
            raise RuntimeError("下游暂不可用")
        if attempts[envelope.event_id] == 1:
            raise ConnectionError("transient")  # fails once, then succeeds on retry
        await record_event(uow, envelope)

    runner = ConsumerRunner(Subscription("flaky", [CATALOG_AGENCIES], {"*": flaky}), runtime.uow, settings, audit_plumbing.inbox)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        after = agency_event()
        topic = settings.topic(CATALOG_AGENCIES)
        await ensure_topics(settings, [topic])
        await publish_raw(broker.bootstrap, topic, [(b"same-key", doomed.to_bytes()), (b"same-key", after.to_bytes())])

        async def after_recorded():
            return await audit_count(settings.database_url, event_id=after.event_id) == 1

        await eventually(after_recorded, timeout=60, message="the event behind the failing one")
        assert attempts[doomed.event_id] == 3
        assert attempts[after.event_id] == 2

        letters = await _dead_letters(broker.bootstrap, f"{topic_prefix}dlq.audit.flaky", expected=1)
        headers = dict(letters[0].headers)
        assert letters[0].value == doomed.to_bytes()
        assert headers["dlq.attempts"] == b"3"
        assert "下游暂不可用" in headers["dlq.error"].decode()
        inbox = audit_plumbing.inbox
        async with runtime.sessions() as session:
            outcome = (await session.execute(select(inbox.c.outcome).where(inbox.c.event_id == doomed.event_id))).scalar_one()
            count = (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
        assert outcome == "dead_lettered"
        assert count == 1
    finally:
        stop.set()
        await task
        await runtime.stop()
