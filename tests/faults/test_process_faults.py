"""Processes dying or told to stop under load: nothing lost, nothing doubled, nobody's hand needed.

(tests/test_scale_out.py kills an API, a requests worker and an audit replica at once under a
bigger load; here each fault is a scenario of its own with its row in the table.)
"""

from __future__ import annotations

import asyncio
import time

from shared.testing import auth, eventually
from tests.faults.harness import Load, alive, finish, kill, restart
from tests.process_support import submission, terminate

TOTAL = 60


async def test_baseline(rig):
    rig.name = "baseline"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    await load.run()
    await finish(rig, load, time.monotonic())
    alive(api, worker, audit)


async def test_sigkill_of_the_consumer_workers(rig):
    """The audit worker (a consumer) and the requests worker (relay and consumer) die mid-load; the supervisor restarts them."""
    rig.name = "SIGKILL consumer workers"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 3), timeout=60, message="a third of the load")
    kill(audit, worker)
    await rig.register_agencies(3)  # the catalog goes on while the requests worker is down
    await asyncio.sleep(1)
    await asyncio.gather(restart(audit), restart(worker))
    back = time.monotonic()
    await running
    await finish(rig, load, back, note=f"killed after {TOTAL // 3} submissions")
    alive(api, worker, audit)


async def test_sigkill_of_an_api_with_clients_retrying_on_the_same_key(rig):
    """One of two APIs dies holding answers it had committed; the clients retry with their key on the other one."""
    rig.name = "SIGKILL API, same-key retries"
    held_count = 3
    await rig.prepare()
    doomed, other = rig.api(env={"FAILPOINTS": "http.slow"}), rig.api()
    worker, audit = rig.requests_worker(), rig.audit_worker()
    await rig.up([doomed, other], [worker, audit])
    load = Load(rig, [doomed, other], total=TOTAL)
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 3), timeout=60, message="a third of the load")
    # Submissions that the doomed API commits but never answers: their clients only see the connection die.
    headers = {**auth(rig.requests_settings, "applicant", sub="citizen-held"), "X-Failpoint-Slow-Response": "120"}
    held = {
        f"held-{i}": asyncio.create_task(load.submit(0, f"held-{i}", submission(rig.agency_id, 10_000 + i), headers))
        for i in range(held_count)
    }
    await eventually(
        lambda: doomed.log_tail(10**7).count("failpoint http.slow: holding response") >= held_count,
        timeout=30,
        interval=0.05,
        message="the held answers",
    )
    kill(doomed)
    killed = time.monotonic()
    for key, task in held.items():
        load.ids[key] = await task
    await running
    await restart(doomed)
    # The held submissions were stored before the kill: their retries were answered from the stored answer.
    assert load.replayed >= held_count, load.replayed
    await finish(rig, load, killed, note=f"{held_count} answers died with the API; {load.replayed} replayed")
    alive(doomed, other, worker, audit)


async def test_two_consumer_replicas_with_one_killed(rig):
    """Two audit replicas split the partitions; one dies and the survivor takes its partitions over."""
    rig.name = "2 consumer replicas, 1 killed"
    await rig.prepare()
    api, worker = rig.api(), rig.requests_worker()
    audits = [rig.audit_worker(), rig.audit_worker()]
    await rig.up([api], [worker, *audits])
    load = Load(rig, [api], total=TOTAL)
    await load.run(6)  # both replicas join the group and get partitions before the kill

    def both_assigned() -> bool:
        return all("subscribed to" in a.log_tail(10**7) for a in audits)

    await eventually(both_assigned, timeout=30, message="both audit replicas subscribed")
    running = asyncio.create_task(load.run(TOTAL - 6))
    await eventually(load.progress(TOTAL // 3), timeout=60, message="a third of the load")
    kill(audits[0])
    killed = time.monotonic()
    await running
    await finish(rig, load, killed, note="no restart: the survivor took over after the session timeout")
    alive(api, worker, audits[1])


async def test_sigterm_under_load(rig):
    """Every process is told to stop mid-load (a rolling deploy), exits 0 after finishing its work, and is started again."""
    rig.name = "SIGTERM under load"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 3), timeout=60, message="a third of the load")
    codes = await asyncio.gather(*(terminate(p) for p in (api, worker, audit)))
    assert codes == [0, 0, 0], [p.log_tail() for p in (api, worker, audit)]
    await asyncio.gather(restart(api), restart(worker), restart(audit))
    back = time.monotonic()
    await running
    await finish(rig, load, back, note="all three exited 0 and were started again")
    alive(api, worker, audit)
