"""Unreachable webhook receivers: several agency systems that never answer (a server that accepts and stays
silent, a closed port) and one healthy one. The healthy receiver gets every event exactly once and in good
time, notify stays ready throughout, and the load loses nothing."""

from __future__ import annotations

import asyncio
import collections
import json
import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.operations import read_dead_letters
from shared.testing import auth, eventually, free_port, served
from tests.faults.harness import REQUEST_EVENTS, STARTUP, Load, alive, finish, outbox_events

TOTAL = 40  # notify turns each event into a delivery per subscription (7): a smaller load keeps the scenario bounded
DELIVERY_TIMEOUT = 120.0
SILENT, CLOSED = 4, 2  # subscriptions to receivers that never answer, and to a port nobody listens on


class Healthy:
    def __init__(self) -> None:
        self.events: collections.Counter[str] = collections.Counter()
        self.deliveries: collections.Counter[str] = collections.Counter()

    async def endpoint(self, request: Request) -> Response:
        self.events[json.loads(await request.body())["event_id"]] += 1
        self.deliveries[request.headers["X-Webhook-Delivery"]] += 1
        return Response(status_code=204)


async def _silent_server():
    """Accepts connections and reads what comes, but never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        try:
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], held


async def test_unreachable_webhook_receivers(rig):
    rig.name = "unreachable webhook receivers"
    await rig.prepare("notify")
    healthy = Healthy()
    silent, silent_port, held = await _silent_server()
    try:
        async with served(Starlette(routes=[Route("/hook", healthy.endpoint, methods=["POST"])]), lifespan="off") as healthy_url:
            api, worker, audit = rig.api(), rig.requests_worker(), rig.audit_worker()
            # notify as one process, API and workers together: its readiness must not suffer from its senders.
            notify = rig.start("notify", webhook_allowed_hosts="127.0.0.1/32", dispatch_interval_seconds="0.2")
            await notify.wait_ready(STARTUP)
            admin = auth(rig.notify_settings, "admin", sub="admin-faults")
            urls = [f"http://127.0.0.1:{silent_port}/hook/{i}" for i in range(SILENT)]
            urls += [f"http://127.0.0.1:{free_port()}/hook/{i}" for i in range(CLOSED)]
            urls.append(healthy_url + "/hook")
            async with httpx.AsyncClient(timeout=10) as client:
                for url in urls:
                    created = await client.post(
                        notify.url + "/api/v1/notify/webhooks",
                        json={"url": url, "agency_id": None, "event_types": list(REQUEST_EVENTS)},
                        headers=admin,
                    )
                    assert created.status_code == 201, created.text
                await rig.up([api], [worker, audit])

                readiness: collections.Counter[str] = collections.Counter()
                done = asyncio.Event()

                async def poll_readyz() -> None:
                    while not done.is_set():
                        started = time.monotonic()
                        try:
                            status = (await client.get(notify.url + "/readyz", timeout=5)).status_code
                            readiness[str(status) if time.monotonic() - started < 5 else "slow"] += 1
                        except httpx.HTTPError as exc:
                            readiness[type(exc).__name__] += 1
                        await asyncio.sleep(0.5)

                poller = asyncio.create_task(poll_readyz())
                load = Load(rig, [api], total=TOTAL)
                await load.run()
                load_done = time.monotonic()

                async def all_delivered() -> bool:
                    expected = set(await outbox_events(rig))
                    return len(expected) == 2 * TOTAL and expected <= set(healthy.events)

                try:
                    await eventually(all_delivered, timeout=DELIVERY_TIMEOUT, message="every request event at the healthy receiver")
                except AssertionError:
                    pass  # counted below
                delivered = time.monotonic()
                done.set()
                await poller
            expected = set(await outbox_events(rig))
            missing = len(expected - set(healthy.events))
            twice = sum(n - 1 for n in healthy.events.values() if n > 1)
            parked = await read_dead_letters(rig.notify_settings, "notify.webhooks")
            await finish(
                rig,
                load,
                load_done,
                extra_lost={"webhook never reached the healthy receiver": missing},
                extra_doubled={"webhook delivered twice": twice},
                note=f"healthy receiver: {len(expected & set(healthy.events))}/{len(expected)} request events, "
                f"the last {delivered - load_done:.1f}s after the load; notify /readyz: {dict(readiness)}; "
                f"{len(held)} connections held by the silent receiver",
            )
            assert set(readiness) == {"200"}, f"notify was not ready throughout: {dict(readiness)}"
            assert not parked, [p.public() for p in parked]
            alive(api, worker, audit, notify)
    finally:
        for writer in held:
            writer.close()
        silent.close()
        await silent.wait_closed()
