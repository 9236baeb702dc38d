"""The idempotent consumer runner.

For each message: parse the envelope; in one transaction, skip it if the inbox already
holds (consumer, event_id), else run the handler and insert the inbox row; commit; and
only after the database commit, commit the Kafka offset. A crash anywhere replays the
message, and the inbox makes the replay a no-op. A handler that keeps failing is retried
with backoff and jitter a bounded number of times, then the message goes to the dead-letter topic
with its error and the partition moves on; a message that is not an envelope at all goes
there at once. A database that is down or busy is waited for, without limit: such an event is
never dead-lettered. While a message waits for its next try only its partition is paused.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from shared.context import correlation_id
from shared.db import database_unavailable, utcnow
from shared.events import EventEnvelope, dead_letter_topic
from shared.faults import crash_point
from shared.kafka import ensure_topics, make_consumer, make_producer
from shared.metrics import EVENT_HANDLER_ERRORS, EVENT_RETRIES, EVENTS_HANDLED
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)

# What a handler returns is ignored (some report a count to their own callers).
Handler = Callable[[UnitOfWork, EventEnvelope], Awaitable[object]]


@dataclass
class Subscription:
    """A named consumer of a service: its topics and a handler per event type (`*` for any)."""

    name: str
    topics: list[str]
    handlers: dict[str, Handler] = field(default_factory=dict)

    def handler_for(self, event_type: str) -> Handler | None:
        return self.handlers.get(event_type) or self.handlers.get("*")


@dataclass
class _Retry:
    """The next try of the message at `offset`, whose partition is paused until `due` (loop time)."""

    offset: int
    failures: int = 0  # handler errors: count toward consumer_max_attempts
    outages: int = 0  # database unavailable: retried without limit
    due: float = 0.0


class PoisonMessage(Exception):
    """A message no retry can fix (not an envelope)."""


class ConsumerRunner:
    def __init__(
        self, subscription: Subscription, uow_factory: Callable[[], UnitOfWork], settings: ServiceSettings, inbox_table: Table
    ) -> None:
        self.sub = subscription
        self.new_uow = uow_factory
        self.settings = settings
        self.inbox = inbox_table
        self.group_id = f"{settings.service_name}.{subscription.name}"
        self.topics = [settings.topic(t) for t in subscription.topics]
        self.dlq_topic = dead_letter_topic(settings.kafka_topic_prefix, self.group_id)
        self._consumer: AIOKafkaConsumer | None = None
        self._dlq_producer: AIOKafkaProducer | None = None
        self.assigned: set[TopicPartition] = set()
        self._applying = False  # True while a fetched batch is being applied and committed
        self._retries: dict[TopicPartition, _Retry] = {}  # partitions paused until their message's next try
        self.outage: str | None = None  # set while a message waits for the database to come back (readiness)
        self._last_reset_check = 0.0

    # -- one message -------------------------------------------------------------------

    async def _already_done(self, uow: UnitOfWork, event_id: str) -> bool:
        found = await uow.session.execute(
            select(self.inbox.c.event_id).where(self.inbox.c.consumer == self.group_id, self.inbox.c.event_id == event_id)
        )
        return found.first() is not None

    def _inbox_row(self, msg: ConsumerRecord, envelope: EventEnvelope, outcome: str, error: str | None = None) -> dict[str, object]:
        return {
            "consumer": self.group_id,
            "event_id": envelope.event_id,
            "event_type": envelope.type,
            "topic": msg.topic,
            "partition": msg.partition,
            "offset": msg.offset,
            "outcome": outcome,
            "error": error,
            "processed_at": utcnow(),
        }

    async def _handle_once(self, msg: ConsumerRecord, envelope: EventEnvelope) -> str:
        handler = self.sub.handler_for(envelope.type)
        async with self.new_uow() as uow:
            if await self._already_done(uow, envelope.event_id):
                return "duplicate"
            if handler is None:
                return "ignored"
            await handler(uow, envelope)
            await uow.session.execute(insert(self.inbox).values(self._inbox_row(msg, envelope, "handled")))
            await uow.commit()
        crash_point("consumer.after_db_commit")
        return "handled"

    async def _handle_or_recheck(self, msg: ConsumerRecord, envelope: EventEnvelope) -> str:
        try:
            return await self._handle_once(msg, envelope)
        except IntegrityError:
            # Another replica handled it between our check and our commit: its inbox row says so.
            async with self.new_uow() as uow:
                if await self._already_done(uow, envelope.event_id):
                    log.info("event %s raced with another consumer; already handled", envelope.event_id)
                    return "duplicate"
            raise

    async def process(self, msg: ConsumerRecord) -> str:
        """Try one message once; returns its outcome, or "retry" when it must be tried again later.

        Two kinds of failure are told apart. The database (or the way to it) being down or busy
        says nothing about the event: it is retried without limit, never dead-lettered (an event
        parked because the database was restarting would be lost to every later reader). A
        failing handler counts toward `consumer_max_attempts`, then the message is parked on the
        dead-letter topic and the partition moves on. Between tries the caller pauses only this
        message's partition; the others go on.
        """
        try:
            envelope = EventEnvelope.from_bytes(msg.value or b"")
        except (ValidationError, ValueError) as exc:
            await self._dead_letter(msg, None, f"not an event envelope: {exc}", attempts=0)
            return self._count("poison")
        tp = TopicPartition(msg.topic, msg.partition)
        token = correlation_id.set(envelope.correlation_id)
        try:
            outcome = await self._handle_or_recheck(msg, envelope)
            self._retries.pop(tp, None)
            if not any(r.outages for r in self._retries.values()):
                self.outage = None
            return self._count(outcome)
        except Exception as exc:
            state = self._retries.get(tp)
            if state is None or state.offset != msg.offset:
                state = self._retries[tp] = _Retry(msg.offset)
            extra = {"event_id": envelope.event_id, "event_type": envelope.type}
            if database_unavailable(exc):
                state.outages += 1
                self.outage = f"database unavailable: {type(exc).__name__}"
                EVENT_RETRIES.labels(self.settings.service_name, self.sub.name, "outage").inc()
                delay = self._backoff(state.outages)
                log.warning(
                    "database unavailable while handling %s (try %d); retrying in %.1fs: %r",
                    envelope.type,
                    state.outages,
                    delay,
                    exc,
                    extra=extra,
                )
            else:
                state.failures += 1
                EVENT_HANDLER_ERRORS.labels(self.settings.service_name, self.sub.name).inc()
                log.warning(
                    "handler for %s failed (attempt %d/%d): %r",
                    envelope.type,
                    state.failures,
                    self.settings.consumer_max_attempts,
                    exc,
                    extra=extra,
                )
                if state.failures >= self.settings.consumer_max_attempts:
                    await self._dead_letter(msg, envelope, repr(exc), attempts=state.failures)
                    self._retries.pop(tp, None)
                    return self._count("dead_lettered")
                EVENT_RETRIES.labels(self.settings.service_name, self.sub.name, "handler").inc()
                delay = self._backoff(state.failures)
            state.due = asyncio.get_running_loop().time() + delay
            return "retry"
        finally:
            correlation_id.reset(token)

    def _backoff(self, tries: int) -> float:
        """Exponential backoff with jitter, so replicas hit by one outage do not retry in step."""
        ceiling = min(self.settings.consumer_retry_base_delay * 2 ** (tries - 1), self.settings.consumer_retry_max_delay)
        return random.uniform(ceiling / 2, ceiling)

    def _count(self, outcome: str) -> str:
        EVENTS_HANDLED.labels(self.settings.service_name, self.sub.name, outcome).inc()
        return outcome

    async def _dead_letter(self, msg: ConsumerRecord, envelope: EventEnvelope | None, error: str, attempts: int) -> None:
        """Park the message on the dead-letter topic, then remember it so a replay skips it."""
        if self._dlq_producer is None:
            producer = make_producer(self.settings)
            await producer.start()
            self._dlq_producer = producer
            if self.settings.kafka_ensure_topics:
                await ensure_topics(self.settings, [self.dlq_topic])
        headers = [
            ("dlq.error", error[:4000].encode()),
            ("dlq.consumer", self.group_id.encode()),
            ("dlq.original_topic", msg.topic.encode()),
            ("dlq.original_partition", str(msg.partition).encode()),
            ("dlq.original_offset", str(msg.offset).encode()),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.failed_at", utcnow().isoformat().encode()),
        ]
        await self._dlq_producer.send_and_wait(self.dlq_topic, msg.value, key=msg.key, headers=headers)
        log.error("event parked on %s: %s", self.dlq_topic, error[:500], extra={"topic": msg.topic})
        if envelope is None:
            return
        tries = 0
        while True:  # the letter is parked: record that, even if the database is briefly away now
            try:
                async with self.new_uow() as uow:
                    if not await self._already_done(uow, envelope.event_id):
                        row = self._inbox_row(msg, envelope, "dead_lettered", error[:4000])
                        await uow.session.execute(insert(self.inbox).values(row))
                        await uow.commit()
                return
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                tries += 1
                await asyncio.sleep(self._backoff(tries))

    # -- the loop ----------------------------------------------------------------------

    async def _connect(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            if self.settings.kafka_ensure_topics:
                await ensure_topics(self.settings, self.topics)
            # The Kafka group carries the deployment prefix, so counties (or tests) sharing a
            # cluster never join each other's groups; the inbox keeps the plain name.
            consumer = make_consumer(self.settings, self.topics, self.settings.kafka_topic_prefix + self.group_id)
            try:
                await consumer.start()
            except BaseException:
                await consumer.stop()
                raise
            self._consumer = consumer
            log.info("consumer %s subscribed to %s", self.group_id, ", ".join(self.topics))
        return self._consumer

    async def _disconnect(self) -> None:
        consumer, self._consumer = self._consumer, None
        producer, self._dlq_producer = self._dlq_producer, None
        for client in (consumer, producer):
            if client is not None:
                try:
                    await client.stop()
                except Exception:
                    log.debug("error while stopping kafka client", exc_info=True)

    async def poll_once(self, timeout_ms: int = 500, stop: asyncio.Event | None = None) -> int:
        """Fetch one batch, apply its messages, then commit the offsets of those applied; returns how many.

        Once `stop` is set the message being applied finishes and the rest of the batch is left
        unapplied and uncommitted, so a shutdown never waits for a whole batch.
        """
        consumer = await self._connect()
        self._resume_due(consumer)
        await self._rewind_if_reset(consumer)
        batch = await consumer.getmany(timeout_ms=timeout_ms, max_records=200)
        self.assigned = set(consumer.assignment())
        offsets: dict[TopicPartition, int] = {}
        applied = 0
        self._applying = True
        try:
            for tp, messages in batch.items():
                for msg in messages:
                    if stop is not None and stop.is_set():
                        # Rewind, so this consumer (if it went on) would fetch them again.
                        consumer.seek(tp, msg.offset)
                        break
                    if await self.process(msg) == "retry":
                        # Only this partition waits for its retry; the rest of the batch goes on.
                        consumer.seek(tp, msg.offset)
                        consumer.pause(tp)
                        break
                    offsets[tp] = msg.offset + 1
                    applied += 1
            if offsets:
                # After every DB commit of this batch: a crash before this line only replays.
                await consumer.commit(offsets)
        finally:
            self._applying = False
        return applied

    async def _rewind_if_reset(self, consumer: AIOKafkaConsumer) -> None:
        """A partition found empty after we had read from it was reset (its events are being
        published again by their relay): read it from the start; the inbox skips what we had."""
        now = asyncio.get_running_loop().time()
        if now - self._last_reset_check < self.settings.broker_check_interval or not consumer.assignment():
            return
        self._last_reset_check = now
        assigned = list(consumer.assignment())
        ends = await consumer.end_offsets(assigned)
        for tp in assigned:
            position = await consumer.position(tp)
            # An empty log behind a consumer that had read it: the broker lost it. (Only "empty":
            # the development broker reports a partition's end as the base of its last batch + 1,
            # so "ends before our position" would misfire there; a non-empty log reset under us
            # answers OFFSET_OUT_OF_RANGE and aiokafka rewinds, auto_offset_reset=earliest.)
            if ends.get(tp) == 0 < position:
                log.warning(
                    "consumer %s: %s[%d] ends at %d, before our position %d (broker reset); reading it from the start",
                    self.group_id,
                    tp.topic,
                    tp.partition,
                    ends[tp],
                    position,
                )
                await consumer.seek_to_beginning(tp)

    def _resume_due(self, consumer: AIOKafkaConsumer) -> None:
        """Resume the paused partitions whose retry is due; forget those this consumer lost."""
        assigned = consumer.assignment()
        now = asyncio.get_running_loop().time()
        for tp, state in list(self._retries.items()):
            if tp not in assigned:
                del self._retries[tp]  # another replica owns it now (and starts its own count)
            elif state.due <= now:
                consumer.resume(tp)
        if not any(r.outages for r in self._retries.values()):
            self.outage = None

    async def _poll_until(self, stop: asyncio.Event) -> None:
        """One poll; on stop, abandon a fetch or group join, or finish the message being applied and commit."""
        poll = asyncio.ensure_future(self.poll_once(stop=stop))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not poll.done() and not self._applying:
                poll.cancel()
            await asyncio.gather(poll, return_exceptions=not poll.done() or poll.cancelled())
        finally:
            stopped.cancel()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; reconnect with backoff when the broker goes away."""
        delay = 0.5
        while not stop.is_set():
            try:
                await self._poll_until(stop)
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s interrupted (%r); reconnecting in %.1fs", self.group_id, exc, delay)
                await self._disconnect()
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, 10.0)
        await self._disconnect()
