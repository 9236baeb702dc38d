"""Helpers for tests that run services as real processes: seeding the broker, reading topics, stopping."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import create_engine
from shared.events import EventEnvelope
from shared.testing import ServiceProcess, eventually, postgres_admin_url
from tests.helpers import agency_event, scalar

VALID_ID = "11010519491231002X"


def require_postgres(what: str = "several processes share one database here") -> None:
    """PostgreSQL or nothing: fail under CI without it, skip on a developer's machine."""
    if postgres_admin_url():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test against PostgreSQL ({what}): set TEST_POSTGRES_URL")
    pytest.skip(f"{what}: needs PostgreSQL (set TEST_POSTGRES_URL)")


def submission(agency_id: str, n: int) -> dict[str, Any]:
    """A valid online request body, numbered so each one is distinguishable."""
    return {
        "agency_id": agency_id,
        "description": f"请公开2025年度城乡低保资金发放情况（第{n}件）",
        "preferred_form": "electronic",
        "applicant": {"type": "natural_person", "name": "张三", "id_type": "resident_id", "id_number": VALID_ID, "mobile": "13800138000"},
    }


async def publish_agencies(bootstrap: str, topic: str, count: int) -> list[EventEnvelope]:
    """Publish `count` AgencyRegistered events at once (as the catalog's relay would), keyed by agency."""
    events = [agency_event() for _ in range(count)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, e.to_bytes(), key=e.aggregate_id.encode()) for e in events]
        for f in futures:
            await f
    finally:
        await producer.stop()
    return events


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every message on every partition of `topic`, from the start to the current end, without a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        await consumer.topics()  # refresh metadata so the partitions are known
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[ConsumerRecord] = []

        async def read_to_end() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(m for msgs in batch.values() for m in msgs)
            return all([await consumer.position(tp) >= end[tp] for tp in partitions])

        await eventually(read_to_end, timeout=30, interval=0, message=f"the end of {topic}")
        return found
    finally:
        await consumer.stop()


def event_ids(records: list[ConsumerRecord]) -> list[str]:
    return [EventEnvelope.from_bytes(r.value).event_id for r in records]


async def wait_for_log(process: ServiceProcess, text: str, timeout: float = 30) -> None:
    def logged() -> bool:
        if process.proc is not None and process.proc.poll() is not None:
            raise AssertionError(f"{process.name} exited with {process.proc.returncode}; log: {process.log_tail()}")
        return text in process.log_tail(10**7)

    await eventually(logged, timeout=timeout, interval=0.05, message=f"{text!r} in the log of {process.name}")


async def terminate(process: ServiceProcess, timeout: float = 40) -> int:
    """SIGTERM the process and wait for it to exit on its own; returns its exit code."""
    assert process.proc is not None
    process.proc.send_signal(signal.SIGTERM)
    await eventually(lambda: process.proc.poll() is not None, timeout=timeout, message=f"{process.name} to exit after SIGTERM")
    return process.proc.returncode


async def count_rows(database_url: str, table, *where) -> int:
    return await scalar(database_url, select(func.count()).select_from(table).where(*where))


async def column(database_url: str, col, *where) -> list:
    """Every value of one column (optionally filtered), read with an engine of our own."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(col).where(*where))).scalars())
    finally:
        await engine.dispose()


async def verify_audit_chain(database_url: str):
    """The audit log's hash chain, checked from the first entry to the last."""
    from services.audit.service.verify import verify_log

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            async with AsyncSession(bind=conn) as session:
                return await verify_log(session)
    finally:
        await engine.dispose()
