"""Poison messages in the middle of the load: bytes that are no event, and a well-formed event its handler cannot
apply. Both end on the dead-letter topic (the first at once, the second after its attempts); everything else is
handled, and the partition they were on goes on."""

from __future__ import annotations

import asyncio
import time

from shared.contracts.topics import REQUESTS_REQUESTS
from shared.db import new_id
from shared.events import Actor, EventEnvelope
from shared.testing import eventually
from tests.faults.harness import Load, alive, finish
from tests.helpers import publish_raw

TOTAL = 60


async def test_poison_messages(rig):
    rig.name = "poison messages"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 3), timeout=60, message="a third of the load")
    # A request event without its payload: the audit log's projection cannot apply it (KeyError).
    request_id = new_id()
    broken = EventEnvelope(
        type="RequestReceived",
        source="requests",
        aggregate_type="request",
        aggregate_id=request_id,
        agency_id=rig.agency_id,
        actor=Actor.system("fault-suite"),
        payload={},
    )
    garbage = b"\x00\xffnot an event {"
    await publish_raw(
        rig.bootstrap,
        rig.requests_settings.topic(REQUESTS_REQUESTS),
        [(request_id.encode(), garbage), (request_id.encode(), broken.to_bytes())],
    )
    sent_at = time.monotonic()
    await running
    t = await finish(rig, load, sent_at, dead_letters=2, note="2 parked on the dead-letter topic, the rest handled")
    letters = {letter.state: letter for letter in t.dead_letters}
    assert set(letters) == {"poison", "parked"}, [letter.public() for letter in t.dead_letters]
    assert letters["parked"].event_id == broken.event_id and "KeyError" in letters["parked"].error
    assert letters["parked"].attempts == rig.audit_settings.consumer_max_attempts
    assert letters["poison"].attempts == 0
    alive(api, worker, audit)
