"""On PostgreSQL an API's commit wakes the relay in another process at once (LISTEN/NOTIFY), not at its next poll (issue #18)."""

from __future__ import annotations

import asyncio

import pytest

from services.audit.app import build_spec as audit_spec
from services.audit.settings import AuditSettings
from shared.contracts.topics import CATALOG_AGENCIES
from shared.service import ServiceRuntime
from shared.testing import eventually, postgres_admin_url, settings_for
from tests.helpers import agency_event
from tests.process_support import event_ids, read_topic

pytestmark = pytest.mark.skipif(postgres_admin_url() is None, reason="LISTEN/NOTIFY is PostgreSQL's (set TEST_POSTGRES_URL)")


async def test_a_commit_in_the_api_wakes_the_workers_relay_which_polls_only_every_minute(broker, databases, topic_prefix):
    url = await databases.new("producer")
    common = dict(database_url=url, bootstrap=broker.bootstrap, prefix=topic_prefix)
    # The worker: its relay would poll only once a minute.
    worker = ServiceRuntime(audit_spec(settings_for(AuditSettings, outbox_poll_interval=60.0, broker_check_interval=60.0, **common)))
    worker.consumers = []
    await worker.migrate()
    worker.start_workers()
    # The API: no relay of its own (RUN_WORKERS=false), so nothing in its process can call wake().
    api = ServiceRuntime(audit_spec(settings_for(AuditSettings, run_workers=False, **common)))
    try:
        await eventually(lambda: worker.relay._producer is not None, timeout=30, message="the worker's relay connected")
        await asyncio.sleep(0.5)  # its first poll is done; the next would be a minute away
        events = [agency_event() for _ in range(3)]
        async with api.uow() as uow:
            for e in events:
                uow.emit(CATALOG_AGENCIES, e)
            await uow.commit()

        async def published():
            try:
                on_topic = event_ids(await read_topic(broker.bootstrap, worker.settings.topic(CATALOG_AGENCIES)))
            except AssertionError:  # the topic appears with its first event
                return False
            return {e.event_id for e in events} <= set(on_topic)

        await eventually(published, timeout=20, message="the events published long before the next poll")
        assert worker.relay.notified >= 1
    finally:
        await api.engine.dispose()
        await worker.stop()
