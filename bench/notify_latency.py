"""End-to-end notification latency at a steady load, next to the broker's own round trip.

The requests and notify services run as real processes on PostgreSQL with a local broker.
For RATE submissions a second over SECONDS (independent arrivals), each submission's latency is the time from
the request being stored (requests.submitted_at) to its receipt notice being stored in the
applicant's inbox (notify.notifications.created_at). In the same run, the broker's round
trip is measured: produce with acks=all, consume in a group, same topic settings.

    .venv/bin/python -m bench.notify_latency          # BENCH_POSTGRES_URL, BENCH_SECONDS, BENCH_RATE
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.requests_submit import body, drop_database, new_database, replicated_agency
from services.requests.settings import RequestsSettings
from shared.auth import issue_dev_token
from shared.settings import ServiceSettings
from shared.testing import Broker, ServiceProcess, service_env

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
RATE = float(os.environ.get("BENCH_RATE", "10"))


def quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100) if len(values) >= 2 else [values[0]] * 99
    return q[49], q[98]


def arrivals(rate: float) -> Iterator[float]:
    """Send times, from 0, of independent arrivals at `rate` a second (exponential gaps).

    Not a fixed period: the development broker (tansu) answers an empty fetch only when
    fetch_max_wait_ms has passed, even if data arrives meanwhile, so a sender whose period is the
    same as that wait (10/s against 100 ms) falls in step with the consumer's fetches and sees a
    round trip of 2 ms where independent arrivals see 25 ms on average.
    """
    at = 0.0
    while True:
        at += random.expovariate(rate)
        yield at


async def broker_round_trip(bootstrap: str, count: int, rate: float = RATE, fetch_max_wait_ms: int | None = None) -> list[float]:
    topic = f"bench.rtt.{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    # The same fetch setting as the services' consumers (shared/kafka.py), so the two sides compare like with like.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"rtt-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=fetch_max_wait_ms or ServiceSettings.model_fields["kafka_fetch_max_wait_ms"].default,
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")
    await consumer.start()
    sent: dict[bytes, float] = {}
    times: list[float] = []

    async def consume():
        async for message in consumer:
            if message.value in sent:
                times.append((time.perf_counter() - sent[message.value]) * 1000)
                if len(times) == count:
                    return

    task = asyncio.create_task(consume())
    started = time.perf_counter()
    for i, at in zip(range(count), arrivals(rate), strict=False):
        await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
        key = f"m{i}".encode()
        sent[key] = time.perf_counter()
        await producer.send_and_wait(topic, key)
    await asyncio.wait_for(task, 60)
    await consumer.stop()
    await producer.stop()
    return times


async def main() -> int:
    broker = Broker().start()
    req_url, req_db = await new_database("req")
    note_url, note_db = await new_database("note")
    log_dir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp"))
    prefix = f"bench{uuid.uuid4().hex[:4]}."
    requests = ServiceProcess(
        "requests",
        service_env(
            "requests", database_url=req_url, bootstrap=broker.bootstrap, prefix=prefix, log_level="WARNING", outbox_poll_interval="0.5"
        ),
        log_path=log_dir / "bench-req.log",
    )
    notify = ServiceProcess(
        "notify",
        service_env("notify", database_url=note_url, bootstrap=broker.bootstrap, prefix=prefix, log_level="WARNING"),
        log_path=log_dir / "bench-notify.log",
    )
    try:
        requests.start()
        notify.start()
        await requests.wait_ready(60)
        await notify.wait_ready(60)
        agency = await replicated_agency(req_url)
        token = issue_dev_token(RequestsSettings(), sub="bench-applicant", roles=["applicant"])
        ids: list[str] = []
        async with httpx.AsyncClient(timeout=30) as client:

            async def submit():
                r = await client.post(
                    f"{requests.url}/api/v1/requests/requests",
                    json=body(agency),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                )
                if r.status_code == 201:
                    ids.append(r.json()["id"])

            # Warm-up: one receipt end to end, so the consumer group has formed before we measure.
            await submit()
            warm = ids.pop()
            note = await asyncpg.connect(note_url)
            while not await note.fetchval("SELECT count(*) FROM notifications WHERE request_id = $1", warm):
                await asyncio.sleep(0.2)
            await note.close()
            pending = []
            started = time.perf_counter()
            for _, at in zip(range(int(SECONDS * RATE)), arrivals(RATE), strict=False):
                await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
                pending.append(asyncio.create_task(submit()))
            await asyncio.gather(*pending)
        # Wait for every receipt to be stored, then read both sides' timestamps.
        note = await asyncpg.connect(note_url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stored = await note.fetchval("SELECT count(*) FROM notifications WHERE kind = 'receipt' AND channel = 'inbox'")
            if stored >= len(ids) + 1:
                break
            await asyncio.sleep(0.5)
        receipts = dict(await note.fetch("SELECT request_id, created_at FROM notifications WHERE kind = 'receipt' AND channel = 'inbox'"))
        await note.close()
        req = await asyncpg.connect(req_url)
        submitted = dict(await req.fetch("SELECT id, submitted_at FROM disclosure_requests"))
        await req.close()
        latencies = [(receipts[i] - submitted[i]).total_seconds() * 1000 for i in ids if i in receipts]
        rtt = await broker_round_trip(broker.bootstrap, min(200, int(SECONDS * RATE)))
        e50, e99 = quantiles(latencies)
        b50, b99 = quantiles(rtt)
        print(f"steady load: {RATE:.0f} submissions/s for {SECONDS:.0f} s on PostgreSQL; {len(latencies)}/{len(ids)} receipts stored")
        print(f"{'':44} {'p50 ms':>8} {'p99 ms':>8}")
        print(f"{'submission stored → inbox receipt stored':44} {e50:8.1f} {e99:8.1f}")
        print(f"{'broker round trip (produce acks=all → consume)':44} {b50:8.1f} {b99:8.1f}")
        print(f"ratio end-to-end / broker: p50 {e50 / b50:.1f}x, p99 {e99 / b99:.1f}x")
        return 0
    finally:
        requests.stop()
        notify.stop()
        broker.stop()
        await drop_database(req_db)
        await drop_database(note_db)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
