"""The development broker restarted (memory storage: every topic, message and group offset gone), under load and
while idle: the relays notice, re-create their topics and publish their kept outbox again; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import time

import pytest

from shared.testing import eventually
from tests.faults.harness import Load, alive, finish, log_text

TOTAL = 60


@pytest.fixture
def rig_on_own_broker(rig, own_broker):
    rig.broker = own_broker
    return rig


async def test_broker_restarted_during_load(rig_on_own_broker, own_broker):
    rig = rig_on_own_broker
    rig.name = "broker restarted during load"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 3), timeout=60, message="a third of the load")
    own_broker.stop()
    await asyncio.sleep(1)
    own_broker.start()  # same port, empty
    back = time.monotonic()
    await running
    await eventually(lambda: "broker reset detected" in log_text(worker), timeout=60, message="the requests relay noticing the reset")
    await finish(rig, load, back, note="relay re-published its kept outbox")
    alive(api, worker, audit)


async def test_broker_restarted_while_idle(rig_on_own_broker, own_broker):
    rig = rig_on_own_broker
    rig.name = "broker restarted while idle"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    await load.run(TOTAL // 2)
    # Everything so far has reached the audit log: the broker restarts with nothing in flight.
    from tests.faults.harness import settle, tally

    await settle(rig, load)
    assert (await tally(rig, load)).audited == TOTAL, "the first half settled before the restart"
    own_broker.stop()
    own_broker.start()
    back = time.monotonic()
    await eventually(lambda: "broker reset detected" in log_text(worker), timeout=60, message="the requests relay noticing the idle reset")
    await load.run(TOTAL - TOTAL // 2)
    await finish(rig, load, back, note="reset noticed with nothing in flight; later events flowed")
    alive(api, worker, audit)
