"""A broker that loses what it acknowledged (the development broker restarted, a Kafka cluster rebuilt)
is noticed and healed without anyone's hand: nothing lost, nothing applied twice (issue #16, point 1)."""

from __future__ import annotations

from sqlalchemy import select

from services.audit.adapters.orm import plumbing as audit_plumbing
from services.audit.app import build_spec as audit_spec
from services.audit.settings import AuditSettings
from shared.contracts.topics import CATALOG_AGENCIES
from shared.service import ServiceRuntime
from shared.testing import Broker, eventually, settings_for
from tests.helpers import agency_event, audit_count


async def _emit(runtime: ServiceRuntime, events) -> None:
    async with runtime.uow() as uow:
        for e in events:
            uow.emit(CATALOG_AGENCIES, e)
        await uow.commit()


async def _all_sent(runtime: ServiceRuntime) -> bool:
    async with runtime.sessions() as s:
        return not (await s.execute(select(audit_plumbing.outbox.c.id).where(audit_plumbing.outbox.c.published_at.is_(None)))).first()


async def test_events_acknowledged_then_lost_by_a_restarted_broker_reach_their_consumer(databases, topic_prefix):
    broker = Broker().start()
    common = dict(bootstrap=broker.bootstrap, prefix=topic_prefix, broker_check_interval=0.5)
    # The producing service: its relay publishes, nobody has consumed yet.
    producer = ServiceRuntime(
        audit_spec(settings_for(AuditSettings, database_url=await databases.new("producer"), run_consumers=False, **common))
    )
    producer.consumers = []
    await producer.migrate()
    producer.start_workers()
    audit_settings = settings_for(AuditSettings, database_url=await databases.new("audit"), **common)
    audit: ServiceRuntime | None = None
    try:
        lost = [agency_event(f"重启前已确认的事件{i}") for i in range(5)]
        await _emit(producer, lost)
        await eventually(lambda: _all_sent(producer), timeout=30, message="the broker acknowledging the first events")

        # The broker restarts with memory storage: everything it acknowledged is gone.
        broker.stop()
        broker.start()
        later = [agency_event(f"重启后的事件{i}") for i in range(3)]
        await _emit(producer, later)

        audit = ServiceRuntime(audit_spec(audit_settings))
        await audit.migrate()
        audit.start_workers()

        async def everything_recorded_once():
            counts = [await audit_count(audit_settings.database_url, event_id=e.event_id) for e in lost + later]
            return counts if set(counts) == {1} else None

        await eventually(everything_recorded_once, timeout=90, message="every event, the lost ones included, in the audit log")
        assert producer.relay.resets >= 1
        # The relay's repair is on the record, with its reason.
        await eventually(
            lambda: audit_count(audit_settings.database_url, event_type="OutboxReplayed"),
            timeout=30,
            message="the relay's replay in the audit log",
        )
    finally:
        if audit is not None:
            await audit.stop()
        await producer.stop()
        broker.stop()


async def test_a_broker_restarted_while_idle_is_healed_and_consumers_go_on_from_the_start(databases, topic_prefix):
    broker = Broker().start()
    common = dict(bootstrap=broker.bootstrap, prefix=topic_prefix, broker_check_interval=0.5)
    producer = ServiceRuntime(
        audit_spec(settings_for(AuditSettings, database_url=await databases.new("producer"), run_consumers=False, **common))
    )
    producer.consumers = []
    await producer.migrate()
    audit_settings = settings_for(AuditSettings, database_url=await databases.new("audit"), **common)
    audit = ServiceRuntime(audit_spec(audit_settings))
    await audit.migrate()
    producer.start_workers()
    audit.start_workers()
    try:
        before = [agency_event(f"重启前的事件{i}") for i in range(4)]
        await _emit(producer, before)

        async def recorded(events):
            return all([await audit_count(audit_settings.database_url, event_id=e.event_id) == 1 for e in events])

        await eventually(lambda: recorded(before), timeout=60, message="the first events")

        broker.stop()
        broker.start()  # idle: nothing is being published when it comes back empty
        await eventually(lambda: producer.relay.resets >= 1, timeout=60, message="the relay noticing the reset while idle")

        after = [agency_event(f"重启后的事件{i}") for i in range(4)]
        await _emit(producer, after)
        await eventually(lambda: recorded(after), timeout=90, message="events after the reset")
        for e in before + after:  # replayed, but applied once
            assert await audit_count(audit_settings.database_url, event_id=e.event_id) == 1
    finally:
        await audit.stop()
        await producer.stop()
        broker.stop()
