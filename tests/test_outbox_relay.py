"""The outbox relay: several replicas publish every event, and one aggregate's events stay in order."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from services.catalog.adapters.orm import plumbing
from services.catalog.app import build_spec
from services.catalog.settings import CatalogSettings
from shared.contracts.topics import CATALOG_AGENCIES
from shared.events import Actor, EventEnvelope
from shared.relay import OutboxRelay
from shared.service import ServiceRuntime
from shared.testing import eventually, settings_for


async def test_two_relays_publish_everything_once_in_per_aggregate_order(broker, databases, topic_prefix):
    settings = settings_for(
        CatalogSettings, database_url=await databases.new("catalog"), bootstrap=broker.bootstrap, prefix=topic_prefix, outbox_batch_size=25
    )
    runtime = ServiceRuntime(build_spec(settings))
    await runtime.migrate()
    keys = [f"agency-{i}" for i in range(5)]
    sequence: dict[str, list[str]] = {k: [] for k in keys}
    # 300 events in 30 transactions, interleaving five aggregates.
    for batch in range(30):
        async with runtime.uow() as uow:
            for i in range(10):
                key = keys[(batch + i) % 5]
                envelope = EventEnvelope(
                    type="AgencyRenamed",
                    source="catalog",
                    aggregate_type="agency",
                    aggregate_id=key,
                    actor=Actor.system("test"),
                    payload={"n": len(sequence[key])},
                )
                sequence[key].append(envelope.event_id)
                uow.emit(CATALOG_AGENCIES, envelope)
            await uow.commit()

    relays = [OutboxRelay(runtime.sessions, plumbing, settings, [CATALOG_AGENCIES]) for _ in range(2)]
    published = await asyncio.gather(*(r.drain() for r in relays for _ in range(2)))
    leftover = await relays[0].drain()
    assert sum(published) + leftover == 300
    async with runtime.sessions() as session:
        unsent = (
            await session.execute(select(func.count()).select_from(plumbing.outbox).where(plumbing.outbox.c.published_at.is_(None)))
        ).scalar_one()
    assert unsent == 0

    consumer = AIOKafkaConsumer(
        settings.topic(CATALOG_AGENCIES),
        bootstrap_servers=broker.bootstrap,
        group_id=f"check-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: dict[str, list[str]] = {k: [] for k in keys}
    try:

        async def collect():
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for m in messages:
                    e = EventEnvelope.from_bytes(m.value)
                    assert m.key.decode() == e.aggregate_id
                    seen[e.aggregate_id].append(e.event_id)
            return sum(map(len, seen.values())) >= 300

        await eventually(collect, timeout=60, message="300 events on the topic")
    finally:
        await consumer.stop()
    for r in relays:
        await r._disconnect()
    await runtime.stop()
    assert seen == sequence  # each aggregate's events once, in commit order
