"""The requests service's agency replica, fed by hand: AgencyRegistered envelopes on the real broker."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata, TopicPartition
from sqlalchemy import select

from services.requests.adapters.orm import KnownAgency, plumbing
from services.requests.app import create_app
from services.requests.settings import RequestsSettings
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor, EventEnvelope
from shared.kafka import ensure_topics
from shared.testing import eventually, running_app, settings_for

AGENCIES = "/api/v1/requests/agencies"
GROUP = "requests.agency-replica"


@pytest.fixture
async def requests_app(broker, databases, topic_prefix) -> Any:
    settings = settings_for(RequestsSettings, database_url=await databases.new("requests"), bootstrap=broker.bootstrap, prefix=topic_prefix)
    # Create the topic up front: the dev broker loses offsets on auto-created topics.
    await ensure_topics(settings, [settings.topic("catalog.agencies")])
    app = create_app(settings)
    async with running_app(app) as client:
        yield app, client, settings


@pytest.fixture
async def producer(broker) -> Any:
    p = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", enable_idempotence=False)
    await p.start()
    yield p
    await p.stop()


def registered(name: str, *, agency_id: str | None = None, parent_id: str | None = None, kind: str = "department") -> EventEnvelope:
    agency_id = agency_id or new_id()
    event = AgencyRegistered(agency_id=agency_id, name=name, kind=kind, parent_id=parent_id)
    return event.envelope(source="catalog", aggregate_id=agency_id, agency_id=agency_id, actor=Actor.system("test"))


async def publish(producer: AIOKafkaProducer, settings, raw: bytes, key: str) -> RecordMetadata:
    return await producer.send_and_wait(settings.topic("catalog.agencies"), raw, key=key.encode())


async def listed(client) -> list[dict]:
    r = await client.get(AGENCIES)
    assert r.status_code == 200
    return r.json()


async def inbox_rows(app, event_id: str | None = None) -> list[Any]:
    t = plumbing.inbox
    query = select(t).order_by(t.c.processed_at)
    if event_id is not None:
        query = query.where(t.c.event_id == event_id)
    async with app.state.runtime.sessions() as session:
        return list((await session.execute(query)).all())


async def replica_rows(app) -> list[KnownAgency]:
    async with app.state.runtime.sessions() as session:
        return list((await session.execute(select(KnownAgency).order_by(KnownAgency.name))).scalars())


async def committed_past(settings, meta: RecordMetadata) -> None:
    """Wait until the replica's consumer group has committed past `meta` (it has been applied)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        tp = TopicPartition(meta.topic, meta.partition)

        async def done() -> bool:
            offsets = await admin.list_consumer_group_offsets(settings.kafka_topic_prefix + GROUP, partitions=[tp])
            return tp in offsets and offsets[tp].offset > meta.offset

        await eventually(done, message=f"{settings.kafka_topic_prefix}{GROUP} committed past {tp}@{meta.offset}")
    finally:
        await admin.close()


async def test_registered_agency_appears_in_the_replica(requests_app, producer) -> None:
    app, client, settings = requests_app
    assert await listed(client) == []
    county = registered("青山县人民政府", kind="county_government")
    dept = registered("青山县财政局", parent_id=county.aggregate_id)

    for envelope in (county, dept):
        await publish(producer, settings, envelope.to_bytes(), envelope.aggregate_id)

    async def both_listed() -> list[dict] | None:
        agencies = await listed(client)
        return agencies if len(agencies) == 2 else None

    agencies = await eventually(both_listed, message="both agencies replicated")
    assert sorted(agencies, key=lambda a: a["name"]) == sorted(
        [
            {"id": county.aggregate_id, "name": "青山县人民政府", "kind": "county_government", "parent_id": None},
            {"id": dept.aggregate_id, "name": "青山县财政局", "kind": "department", "parent_id": county.aggregate_id},
        ],
        key=lambda a: a["name"],
    )

    rows = {r.id: r for r in await replica_rows(app)}
    assert rows[county.aggregate_id].source_event_id == county.event_id
    assert rows[dept.aggregate_id].source_event_id == dept.event_id
    for envelope in (county, dept):
        [inbox] = await inbox_rows(app, envelope.event_id)
        assert inbox.consumer == GROUP
        assert inbox.event_type == "AgencyRegistered"
        assert inbox.topic == settings.topic("catalog.agencies")
        assert inbox.outcome == "handled"


async def test_redelivered_event_is_applied_once(requests_app, producer) -> None:
    app, client, settings = requests_app
    envelope = registered("青山县财政局")
    raw = envelope.to_bytes()

    await publish(producer, settings, raw, envelope.aggregate_id)
    await eventually(lambda: listed(client), message="agency replicated")

    # The same bytes again, as a relay that crashed between publish and mark would send them.
    again = await publish(producer, settings, raw, envelope.aggregate_id)
    await committed_past(settings, again)

    agencies = await listed(client)
    assert [a["id"] for a in agencies] == [envelope.aggregate_id]
    assert len(await replica_rows(app)) == 1
    inbox = await inbox_rows(app, envelope.event_id)
    assert len(inbox) == 1
    assert (inbox[0].consumer, inbox[0].outcome) == (GROUP, "handled")
    assert len(await inbox_rows(app)) == 1


async def test_a_later_event_for_the_same_agency_updates_the_replica(requests_app, producer) -> None:
    app, client, settings = requests_app
    first = registered("青山县财政局")
    renamed = registered("青山县财政局（国资委）", agency_id=first.aggregate_id)
    await publish(producer, settings, first.to_bytes(), first.aggregate_id)
    meta = await publish(producer, settings, renamed.to_bytes(), renamed.aggregate_id)
    await committed_past(settings, meta)

    [row] = await replica_rows(app)
    assert (row.id, row.name, row.source_event_id) == (first.aggregate_id, "青山县财政局（国资委）", renamed.event_id)
    assert {r.event_id for r in await inbox_rows(app)} == {first.event_id, renamed.event_id}


async def test_events_published_before_the_service_starts_are_not_missed(broker, databases, topic_prefix, producer) -> None:
    settings = settings_for(RequestsSettings, database_url=await databases.new("requests"), bootstrap=broker.bootstrap, prefix=topic_prefix)
    await ensure_topics(settings, [settings.topic("catalog.agencies")])
    envelope = registered("青山县人民政府", kind="county_government")
    await publish(producer, settings, envelope.to_bytes(), envelope.aggregate_id)

    app = create_app(settings)
    async with running_app(app) as client:
        agencies = await eventually(lambda: listed(client), message="agency replicated")
    assert [a["id"] for a in agencies] == [envelope.aggregate_id]


async def test_a_message_that_is_not_an_envelope_does_not_block_the_partition(requests_app, producer) -> None:
    app, client, settings = requests_app
    envelope = registered("青山县财政局")
    # Same key, so the same partition: the garbage sits right before the real event.
    await publish(producer, settings, b"not json at all", envelope.aggregate_id)
    await publish(producer, settings, envelope.to_bytes(), envelope.aggregate_id)

    agencies = await eventually(lambda: listed(client), message="agency replicated past the poison message")
    assert [a["id"] for a in agencies] == [envelope.aggregate_id]
    assert [r.event_id for r in await inbox_rows(app)] == [envelope.event_id]
