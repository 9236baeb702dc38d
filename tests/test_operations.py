"""Operators' tools on the event flow: retention, outbox replay, dead letters listed and replayed (issue #16)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, insert, select

from services.audit.adapters.orm import plumbing as audit_plumbing
from services.audit.app import build_spec as audit_spec
from services.audit.service.record import record_and_project
from services.audit.settings import AuditSettings
from shared import cli
from shared.consumer import ConsumerRunner, Subscription
from shared.contracts.topics import CATALOG_AGENCIES, PLATFORM_OPERATIONS
from shared.db import new_id, utcnow
from shared.kafka import ensure_topics
from shared.operations import purge_expired, replay_outbox
from shared.service import ServiceRuntime
from shared.testing import eventually, settings_for
from tests.helpers import agency_event, audit_count


async def _publish(bootstrap: str, topic: str, *envelopes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for e in envelopes:
            await producer.send_and_wait(topic, e.to_bytes(), key=e.aggregate_id.encode())
    finally:
        await producer.stop()


async def test_retention_deletes_old_published_and_handled_rows_in_batches_and_keeps_the_rest(databases):
    settings = settings_for(
        AuditSettings,
        database_url=await databases.new("audit"),
        bootstrap="127.0.0.1:1",
        prefix="x.",
        outbox_retention_days=7,
        inbox_retention_days=30,
        retention_batch_size=2,
    )
    runtime = ServiceRuntime(audit_spec(settings))
    await runtime.migrate()
    now = utcnow()
    outbox, inbox = audit_plumbing.outbox, audit_plumbing.inbox
    try:
        async with runtime.sessions() as s, s.begin():
            for label, published in [
                ("old1", now - timedelta(days=8)),
                ("old2", now - timedelta(days=9)),
                ("old3", now - timedelta(days=30)),
                ("recent", now - timedelta(days=6)),
                ("unsent", None),
            ]:
                await s.execute(
                    insert(outbox).values(
                        event_id=new_id(),
                        topic="t",
                        key=label,
                        event_type="X",
                        body="{}",
                        created_at=now - timedelta(days=40),
                        published_at=published,
                    )
                )
            for label, outcome, processed in [
                ("old-handled", "handled", now - timedelta(days=31)),
                ("old-dup", "ignored", now - timedelta(days=45)),
                ("old-parked", "dead_lettered", now - timedelta(days=90)),
                ("recent", "handled", now - timedelta(days=29)),
            ]:
                await s.execute(
                    insert(inbox).values(
                        consumer="audit.event-log",
                        event_id=new_id(),
                        event_type=label,
                        topic="t",
                        partition=0,
                        offset=0,
                        outcome=outcome,
                        processed_at=processed,
                    )
                )
        assert await purge_expired(runtime.sessions, audit_plumbing, settings) == {"outbox": 3, "inbox": 2}
        async with runtime.sessions() as s:
            assert sorted((await s.execute(select(outbox.c.key))).scalars()) == ["recent", "unsent"]
            # A parked event's row stays until it is replayed: without it a redelivery would be handled.
            assert sorted((await s.execute(select(inbox.c.event_type))).scalars()) == ["old-parked", "recent"]
        assert await purge_expired(runtime.sessions, audit_plumbing, settings) == {"outbox": 0, "inbox": 0}
    finally:
        await runtime.engine.dispose()


async def test_inbox_retention_shorter_than_the_outbox_is_refused():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="INBOX_RETENTION_DAYS"):
        AuditSettings(outbox_retention_days=10, inbox_retention_days=5)


async def test_a_dead_letter_is_listed_replayed_once_the_bug_is_fixed_and_the_replay_is_on_the_record(
    broker, databases, topic_prefix, capsys
):
    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix, consumer_max_attempts=2
    )
    spec = audit_spec(settings)
    runtime = ServiceRuntime(spec)
    await runtime.migrate()
    doomed, fine = agency_event("处理程序有缺陷时到达的事件"), agency_event()
    broken = {"on": True}

    async def handler(uow, envelope):
        if broken["on"] and envelope.event_id == doomed.event_id:
            raise KeyError("payload.name")  # a bug, not an outage: it is parked after two attempts
        await record_and_project(uow, envelope)

    # The service's own event log, with a handler that has a bug for one event.
    runtime.consumers = [
        ConsumerRunner(
            Subscription("event-log", [CATALOG_AGENCIES, PLATFORM_OPERATIONS], {"*": handler}), runtime.uow, settings, audit_plumbing.inbox
        )
    ]
    runtime.start_workers()
    try:
        topic = settings.topic(CATALOG_AGENCIES)
        await ensure_topics(settings, [topic, settings.topic(PLATFORM_OPERATIONS)])
        await _publish(broker.bootstrap, topic, doomed, fine)

        async def fine_recorded():
            return await audit_count(settings.database_url, event_id=fine.event_id) == 1

        await eventually(fine_recorded, timeout=60, message="the event behind the parked one")

        async def listed(state: str):
            capsys.readouterr()
            assert await cli._dlq(spec, argparse.Namespace(action="list", consumer="event-log")) == 0
            rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
            return rows if [(r["event_id"], r["state"]) for r in rows] == [(doomed.event_id, state)] else None

        [row] = await eventually(lambda: listed("parked"), timeout=30, message="the parked letter in `dlq list`")
        assert row["event_type"] == "AgencyRegistered" and "KeyError" in row["error"] and row["attempts"] == 2
        assert row["original_topic"] == topic

        # Replaying names what it does; without an event id or --all it does nothing.
        assert await cli._dlq(spec, argparse.Namespace(action="replay", consumer=None, event_id=[], all=False)) == 2
        broken["on"] = False  # the fix is deployed
        assert await cli._dlq(spec, argparse.Namespace(action="replay", consumer=None, event_id=[doomed.event_id], all=False)) == 0

        async def doomed_recorded():
            return await audit_count(settings.database_url, event_id=doomed.event_id) == 1

        await eventually(doomed_recorded, timeout=60, message="the replayed event")

        async def replay_on_record():
            return await audit_count(settings.database_url, event_type="DeadLetterReplayed") == 1

        await eventually(replay_on_record, timeout=60, message="the replay in the audit log")
        await eventually(lambda: listed("handled"), timeout=30, message="the letter shown as handled")
        # A second replay finds nothing left to send, and the event stays recorded once.
        assert await cli._dlq(spec, argparse.Namespace(action="replay", consumer=None, event_id=[], all=True)) == 0
        await asyncio.sleep(1)
        assert await audit_count(settings.database_url, event_id=doomed.event_id) == 1
    finally:
        await runtime.stop()


async def test_outbox_replay_sends_published_events_again_and_consumers_apply_them_once(broker, databases, topic_prefix):
    audit_settings = settings_for(AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix)
    audit = ServiceRuntime(audit_spec(audit_settings))
    await audit.migrate()
    audit.start_workers()
    # A second service's runtime (another audit database) acts as the producer whose outbox is replayed.
    producer_settings = settings_for(
        AuditSettings, database_url=await databases.new("producer"), bootstrap=broker.bootstrap, prefix=topic_prefix, run_consumers=False
    )
    producer = ServiceRuntime(audit_spec(producer_settings))
    await producer.migrate()
    producer.consumers = []
    producer.start_workers()
    events = [agency_event() for _ in range(4)]
    try:
        async with producer.uow() as uow:
            for e in events:
                uow.emit(CATALOG_AGENCIES, e)
            await uow.commit()

        async def all_recorded():
            return all([await audit_count(audit_settings.database_url, event_id=e.event_id) == 1 for e in events])

        await eventually(all_recorded, timeout=60, message="the first delivery")

        since = utcnow() - timedelta(minutes=5)
        marked = await replay_outbox(producer.uow, since, reason="测试：中转站重置", operator="tester", service="audit")
        assert marked == len(events)

        async def resent():
            async with producer.sessions() as s:
                return (
                    await s.execute(
                        select(func.count()).select_from(audit_plumbing.outbox).where(audit_plumbing.outbox.c.published_at.is_(None))
                    )
                ).scalar_one() == 0

        await eventually(resent, timeout=60, message="the relay sending the replayed rows")

        async def replay_recorded():
            return await audit_count(audit_settings.database_url, event_type="OutboxReplayed") == 1

        await eventually(replay_recorded, timeout=60, message="the replay in the audit log")
        for e in events:  # delivered twice, recorded once
            assert await audit_count(audit_settings.database_url, event_id=e.event_id) == 1
    finally:
        await producer.stop()
        await audit.stop()
