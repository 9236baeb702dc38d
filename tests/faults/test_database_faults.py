"""A service's PostgreSQL refusing connections for 15 s (ALTER DATABASE … ALLOW_CONNECTIONS false, its backends
terminated) while submissions and events arrive: the API answers 503 + Retry-After and the clients' retries get
through afterwards; consumers wait the outage out and dead-letter nothing; nobody's hand is needed."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from services.requests.adapters.orm import KnownAgency
from shared.testing import eventually
from tests.faults.harness import Load, alive, close_database, finish, open_database
from tests.helpers import scalar

TOTAL = 60
OUTAGE = 15.0


async def _outage(url: str, during) -> float:
    """Close the database for OUTAGE seconds while `during` runs; returns when it was opened again."""
    await close_database(url)
    try:
        await asyncio.gather(asyncio.sleep(OUTAGE), during())
    finally:
        await open_database(url)
    return time.monotonic()


async def test_requests_database_refusing_connections(rig):
    rig.name = "requests PostgreSQL closed 15 s"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL)
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 4), timeout=60, message="a quarter of the load")

    async def catalog_goes_on():  # events for the requests worker's consumer, which must wait, not dead-letter
        for _ in range(3):
            await rig.register_agencies(2)
            await asyncio.sleep(2)

    back = await _outage(rig.urls["requests"], catalog_goes_on)
    await running
    assert load.retries["503"] > 0, "the API answered 503 while its database was closed"

    async def replicated() -> bool:
        return await scalar(rig.urls["requests"], select(func.count()).select_from(KnownAgency)) == len(rig.agencies)

    await eventually(replicated, timeout=60, message="the agencies registered during the outage replicated")
    await finish(rig, load, back, note=f"{load.retries['503']} answers 503 during the outage")
    alive(api, worker, audit)


async def test_audit_database_refusing_connections(rig):
    rig.name = "audit PostgreSQL closed 15 s"
    await rig.prepare()
    api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
    await rig.up([api], [worker, audit])
    load = Load(rig, [api], total=TOTAL, pause=0.8)  # spread over the outage: events keep arriving while it lasts
    running = asyncio.create_task(load.run())
    await eventually(load.progress(TOTAL // 4), timeout=60, message="a quarter of the load")
    back = await _outage(rig.urls["audit"], lambda: asyncio.sleep(0))
    await running
    await finish(rig, load, back, note="the audit consumer waited the outage out")
    alive(api, worker, audit)
