"""What operators do to the event flow, and the housekeeping no one should have to do by hand.

- Retention: published outbox rows and handled inbox rows older than their retention are deleted
  in small batches (a parked event's inbox row stays until it is replayed).
- Outbox replay: rows published since a time are marked unsent, so the relay publishes them again
  (consumers' inboxes make the second delivery a no-op for those who had it).
- Dead letters: list what a consumer parked, and replay it: its `dead_lettered` inbox row is cleared
  and the original message goes back to its topic, so that consumer handles it once more; every
  replay is recorded in the audit log (`platform.operations`).
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.operations import DeadLetterReplayed, OutboxReplayed
from shared.db import affected_rows, utcnow
from shared.events import Actor, EventEnvelope, dead_letter_topic
from shared.kafka import make_producer
from shared.plumbing import Plumbing
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def operator_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry for the container's uid
        return "operator"


# -- retention -------------------------------------------------------------------------------


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], plumbing: Plumbing, settings: ServiceSettings, now: datetime | None = None
) -> dict[str, int]:
    """Delete published outbox rows and handled inbox rows past their retention, a batch per transaction."""
    now = now or utcnow()
    outbox, inbox = plumbing.outbox, plumbing.inbox
    outbox_cutoff = now - timedelta(days=settings.outbox_retention_days)
    inbox_cutoff = now - timedelta(days=settings.inbox_retention_days)
    deleted = {"outbox": 0, "inbox": 0}
    while True:
        async with sessions() as session, session.begin():
            ids = (
                select(outbox.c.id)
                .where(outbox.c.published_at.is_not(None), outbox.c.published_at < outbox_cutoff)
                .order_by(outbox.c.id)
                .limit(settings.retention_batch_size)
            )
            n = affected_rows(await session.execute(delete(outbox).where(outbox.c.id.in_(ids.scalar_subquery())))) or 0
        deleted["outbox"] += n
        if n < settings.retention_batch_size:
            break
    while True:
        async with sessions() as session, session.begin():
            keys = (
                await session.execute(
                    select(inbox.c.consumer, inbox.c.event_id)
                    .where(inbox.c.outcome != "dead_lettered", inbox.c.processed_at < inbox_cutoff)
                    .limit(settings.retention_batch_size)
                )
            ).all()
            for consumer, event_id in keys:
                await session.execute(delete(inbox).where(inbox.c.consumer == consumer, inbox.c.event_id == event_id))
        deleted["inbox"] += len(keys)
        if len(keys) < settings.retention_batch_size:
            break
    if deleted["outbox"] or deleted["inbox"]:
        log.info("retention: deleted %d outbox and %d inbox rows", deleted["outbox"], deleted["inbox"])
    return deleted


# -- outbox replay ---------------------------------------------------------------------------


async def replay_outbox(new_uow: Callable[[], UnitOfWork], since: datetime, *, reason: str, operator: str, service: str) -> int:
    """Mark every row published at or after `since` unsent again; returns how many (recorded in the audit log)."""
    async with new_uow() as uow:
        outbox = uow.plumbing.outbox
        marked = (
            affected_rows(
                await uow.session.execute(
                    update(outbox).where(outbox.c.published_at.is_not(None), outbox.c.published_at >= since).values(published_at=None)
                )
            )
            or 0
        )
        event = OutboxReplayed(since=since.isoformat(), events=marked, reason=reason, operator=operator)
        uow.emit(OutboxReplayed.topic, event.envelope(source=service, aggregate_id=service, actor=Actor.system(service)))
        await uow.commit()
    log.warning("outbox replay since %s: %d published events will be sent again (%s)", since.isoformat(), marked, reason)
    return marked


# -- dead letters ----------------------------------------------------------------------------


@dataclass
class DeadLetter:
    consumer: str
    dlq_offset: str
    event_id: str | None
    event_type: str | None
    error: str
    attempts: int
    failed_at: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    state: str = "parked"  # parked (inbox says dead_lettered) | replayed (no inbox row yet) | handled | poison
    key: bytes | None = None
    value: bytes = b""

    def public(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k not in ("key", "value")}


def _header(headers: dict[str, bytes], name: str) -> str:
    return headers.get(name, b"").decode("utf-8", "replace")


def _int_or_none(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


async def read_dead_letters(settings: ServiceSettings, group_id: str) -> list[DeadLetter]:
    """Every letter on the consumer group's dead-letter topic, oldest first (read without a consumer group)."""
    topic = dead_letter_topic(settings.kafka_topic_prefix, group_id)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False, request_timeout_ms=settings.kafka_request_timeout_ms
    )
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        partitions = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - aiokafka has no public "describe topic"
        numbers = partitions.partitions_for_topic(topic) or set()
        if not numbers:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(numbers)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=2000)
            if not batch:
                break
            for tp, messages in batch.items():
                for msg in messages:
                    letters.append(_letter(group_id, msg))
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return letters


def _letter(group_id: str, msg: ConsumerRecord) -> DeadLetter:
    headers = {k: v for k, v in (msg.headers or [])}
    try:
        envelope: EventEnvelope | None = EventEnvelope.from_bytes(msg.value or b"")
    except (ValidationError, ValueError):
        envelope = None
    return DeadLetter(
        consumer=group_id,
        dlq_offset=f"{msg.partition}:{msg.offset}",
        event_id=envelope.event_id if envelope else None,
        event_type=envelope.type if envelope else None,
        error=_header(headers, "dlq.error"),
        attempts=_int_or_none(_header(headers, "dlq.attempts")) or 0,
        failed_at=_header(headers, "dlq.failed_at"),
        original_topic=_header(headers, "dlq.original_topic"),
        original_partition=_int_or_none(_header(headers, "dlq.original_partition")),
        original_offset=_int_or_none(_header(headers, "dlq.original_offset")),
        state="parked" if envelope else "poison",
        key=msg.key,
        value=msg.value or b"",
    )


async def with_inbox_states(sessions: async_sessionmaker[AsyncSession], plumbing: Plumbing, letters: list[DeadLetter]) -> list[DeadLetter]:
    """Each letter's state from the consumer's inbox: still parked, replayed (not yet handled), or handled."""
    inbox = plumbing.inbox
    async with sessions() as session:
        for letter in letters:
            if letter.event_id is None:
                continue
            outcome = (
                await session.execute(
                    select(inbox.c.outcome).where(inbox.c.consumer == letter.consumer, inbox.c.event_id == letter.event_id)
                )
            ).scalar_one_or_none()
            letter.state = {"dead_lettered": "parked", None: "replayed"}.get(outcome, "handled")
    return letters


async def replay_dead_letters(
    new_uow: Callable[[], UnitOfWork], settings: ServiceSettings, letters: list[DeadLetter], *, operator: str
) -> list[DeadLetter]:
    """Send each parked (or replayed but not yet handled) letter back to its original topic.

    First, in one transaction, the consumer's `dead_lettered` inbox row is deleted (else the inbox
    would skip the event again) and the replay is recorded for the audit log; then the original
    message is published, keyed as before. A publish that fails leaves the letter on the
    dead-letter topic, in state "replayed": running the replay again sends it.
    """
    chosen = [letter for letter in letters if letter.event_id and letter.state in ("parked", "replayed")]
    if not chosen:
        return []
    producer = make_producer(settings)
    await producer.start()
    try:
        for letter in chosen:
            async with new_uow() as uow:
                inbox = uow.plumbing.inbox
                await uow.session.execute(
                    delete(inbox).where(
                        inbox.c.consumer == letter.consumer, inbox.c.event_id == letter.event_id, inbox.c.outcome == "dead_lettered"
                    )
                )
                original = EventEnvelope.from_bytes(letter.value)
                record = DeadLetterReplayed(
                    consumer=letter.consumer,
                    event_id=letter.event_id or "",
                    event_type_replayed=letter.event_type or "",
                    original_topic=letter.original_topic,
                    original_offset=letter.original_offset,
                    error=letter.error[:2000],
                    attempts=letter.attempts,
                    operator=operator,
                )
                envelope = record.envelope(
                    source=settings.service_name,
                    aggregate_id=original.aggregate_id,
                    agency_id=original.agency_id,
                    actor=Actor.system(settings.service_name),
                )
                uow.emit(DeadLetterReplayed.topic, envelope)
                await uow.commit()
            await producer.send_and_wait(letter.original_topic, letter.value, key=letter.key)
            letter.state = "replayed"
            log.warning(
                "dead letter %s (%s) replayed to %s for %s", letter.event_id, letter.event_type, letter.original_topic, letter.consumer
            )
    finally:
        await producer.stop()
    return chosen


async def pending_outbox(sessions: async_sessionmaker[AsyncSession], plumbing: Plumbing) -> int:
    async with sessions() as session:
        return (
            await session.execute(select(func.count()).select_from(plumbing.outbox).where(plumbing.outbox.c.published_at.is_(None)))
        ).scalar_one()
