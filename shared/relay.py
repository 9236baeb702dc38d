"""The outbox relay: publishes committed events to Kafka, then marks them sent.

Safe with several replicas: each round locks a batch with `FOR UPDATE SKIP LOCKED`
(PostgreSQL), and publishes a row only when no earlier unsent row of the same key is
held by another replica, so one aggregate's events still reach Kafka in order.
A crash between publish and mark re-publishes the row: delivery is at-least-once and
consumers dedupe by event_id. A broker that lost what it acknowledged (a development broker
restarted, a cluster rebuilt) is noticed, by offsets going back or topics gone, and healed: the
topics are re-created as configured and every event still kept in the outbox is published again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.topics import BROKER_MARKER
from shared.db import normalize_url, utcnow
from shared.kafka import ensure_topics, make_producer
from shared.metrics import BROKER_RESETS, OUTBOX_FAILURES, OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.operations import replay_outbox
from shared.plumbing import Plumbing
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork, outbox_channel

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], plumbing: Plumbing, settings: ServiceSettings, topics: list[str]
    ) -> None:
        self.sessions = sessions
        self.plumbing = plumbing
        self.table = plumbing.outbox
        self.settings = settings
        self.topics = [settings.topic(t) for t in topics]
        self._producer: AIOKafkaProducer | None = None
        self._known_topics: set[str] = set()
        self._wake = asyncio.Event()
        # The highest offset the broker acknowledged per partition: a broker that answers with a
        # lower one, or whose log ends below it, has lost what it acknowledged (a reset).
        self._acked: dict[tuple[str, int], int] = {}
        self._last_check = 0.0
        self.resets = 0
        self.notified = 0  # wake-ups by a commit's NOTIFY (PostgreSQL)
        self.marker = settings.topic(BROKER_MARKER)
        self._marker_seen = False

    def wake(self) -> None:
        """Called after a commit that wrote events, so they go out without waiting for the poll."""
        self._wake.set()

    async def _connect(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(self.settings)
            try:
                await producer.start()
                if self.settings.kafka_ensure_topics:
                    await ensure_topics(self.settings, [*self.topics, self.marker])
                    self._known_topics = set(self.topics)
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
            log.info("outbox relay connected to %s", self.settings.kafka_bootstrap_servers)
        return self._producer

    async def _disconnect(self) -> None:
        producer, self._producer = self._producer, None
        self._known_topics.clear()
        if producer is not None:
            try:
                await producer.stop()
            except Exception:
                log.debug("error while stopping producer", exc_info=True)

    async def publish_batch(self) -> int:
        """Publish one batch of unsent rows; returns how many were marked sent."""
        t = self.table
        producer = await self._connect()
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.body)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.settings.outbox_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                OUTBOX_PENDING.labels(self.settings.service_name).set(0)
                return 0
            ids = [r.id for r in rows]
            held_elsewhere = dict(
                (
                    await session.execute(
                        select(t.c.key, func.min(t.c.id))
                        .where(t.c.published_at.is_(None), t.c.key.in_({r.key for r in rows}), t.c.id.not_in(ids))
                        .group_by(t.c.key)
                    )
                ).all()
            )
            sendable = [r for r in rows if r.key not in held_elsewhere or r.id < held_elsewhere[r.key]]
            if self.settings.kafka_ensure_topics and (new := {r.topic for r in sendable} - self._known_topics):
                await ensure_topics(self.settings, sorted(new))
                self._known_topics |= new
            futures = [await producer.send(r.topic, r.body.encode(), key=r.key.encode()) for r in sendable]
            results = await asyncio.gather(*futures, return_exceptions=True)
            went_back = self._note_acks(results)
            sent = [r.id for r, res in zip(sendable, results, strict=False) if not isinstance(res, BaseException)]
            failed = [(r.id, res) for r, res in zip(sendable, results, strict=False) if isinstance(res, BaseException)]
            if sent:
                await session.execute(update(t).where(t.c.id.in_(sent)).values(published_at=utcnow(), attempts=t.c.attempts + 1))
            for row_id, error in failed:
                await session.execute(update(t).where(t.c.id == row_id).values(attempts=t.c.attempts + 1, last_error=repr(error)[:2000]))
        OUTBOX_PUBLISHED.labels(self.settings.service_name).inc(len(sent))
        if went_back:
            await self._heal(f"offsets went back on {went_back}")
        if failed:
            raise ConnectionError(f"{len(failed)} outbox rows failed to publish: {failed[0][1]!r}")
        return len(sent)

    def _note_acks(self, results: list[Any]) -> str | None:
        """Remember the acknowledged offsets; name a partition whose new offset is below one seen before."""
        went_back = None
        for res in results:
            if isinstance(res, BaseException) or getattr(res, "offset", None) is None:
                continue
            key = (res.topic, res.partition)
            if res.offset <= self._acked.get(key, -1):
                went_back = went_back or f"{res.topic}[{res.partition}]"
            self._acked[key] = max(res.offset, self._acked.get(key, -1))
        return went_back

    async def check_broker(self) -> str | None:
        """Whether the broker lost what it acknowledged; returns the sign, or None.

        Signs: the marker topic every relay keeps is gone (nothing but the relays creates it, so a
        consumer's metadata request re-creating the domain topics cannot hide the reset); a topic
        we published to is gone; or a partition we published to is empty. (Not "ends below our
        offset": the development broker reports a partition's end as the base of its last batch
        + 1, which would misfire; offsets going back at the next publish catch the rest.)
        """
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.bootstrap_servers,
            enable_auto_commit=False,
            request_timeout_ms=self.settings.kafka_request_timeout_ms,
        )
        await consumer.start()
        try:
            metadata = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - no public "describe topics"
            existing = metadata.topics()
            if self.marker in existing:
                self._marker_seen = True
            elif self._marker_seen:
                return f"marker topic {self.marker} gone"
            if gone := sorted({t for t, _ in self._acked} - existing):
                return f"topics gone: {', '.join(gone)}"
            tps = [TopicPartition(t, p) for t, p in self._acked if p in (metadata.partitions_for_topic(t) or set())]
            for tp, end in (await consumer.end_offsets(tps) if tps else {}).items():
                if end == 0:
                    return f"{tp.topic}[{tp.partition}] is empty, though it acknowledged offset {self._acked[(tp.topic, tp.partition)]}"
            return None
        finally:
            await consumer.stop()

    async def _heal(self, sign: str) -> None:
        """A reset broker: re-create the topics as configured and publish again every event still kept.

        Consumers' inboxes make the second delivery a no-op for those who had the event; those
        who had not (the broker dropped it, or their group's offsets went with it) get it now.
        """
        self.resets += 1
        BROKER_RESETS.labels(self.settings.service_name).inc()
        log.error("broker reset detected (%s): re-creating topics and publishing the kept outbox again", sign)
        self._acked.clear()
        self._known_topics.clear()
        if self.settings.kafka_ensure_topics:
            await ensure_topics(self.settings, [*self.topics, self.marker])
            self._known_topics = set(self.topics)
        # The operators' outbox replay, from the beginning: every kept event, recorded in the audit log.
        await replay_outbox(
            lambda: UnitOfWork(self.sessions, self.plumbing, self.settings),
            datetime(1970, 1, 1, tzinfo=UTC),
            reason=f"消息中转站重置：{sign}",
            operator="relay",
            service=self.settings.service_name,
        )
        self._wake.set()

    async def pending_count(self) -> int:
        async with self.sessions() as session:
            return (
                await session.execute(select(func.count()).select_from(self.table).where(self.table.c.published_at.is_(None)))
            ).scalar_one()

    async def drain(self) -> int:
        """Publish until nothing is left (or only rows held by other replicas)."""
        total = 0
        while (n := await self.publish_batch()) > 0:
            total += n
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set, then flush what is committed; back off while the broker is unreachable."""
        listener = asyncio.create_task(self._listen(stop), name=f"{self.settings.service_name}-outbox-listener")
        try:
            await self._run(stop)
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await self._disconnect()  # also when the runtime cancels a flush that ran out of time

    async def _listen(self, stop: asyncio.Event) -> None:
        """On PostgreSQL, wake on every commit that wrote events, in any process of this service.

        An API process with its workers elsewhere cannot call `wake()` on the worker's relay: it
        NOTIFYs in the committing transaction, and this LISTEN hears it. Polling stays as the
        fallback (a lost connection, a notification missed while reconnecting). The listener has a
        connection of its own, outside the pool: the pool's connections stay free for the work.
        """
        if not self.settings.database_url.startswith(("postgresql", "postgres")):
            return
        import asyncpg

        dsn = make_url(normalize_url(self.settings.database_url)).set(drivername="postgresql").render_as_string(hide_password=False)
        delay = 1.0
        while not stop.is_set():
            try:
                raw = await asyncpg.connect(dsn, timeout=10)
                try:
                    channel = outbox_channel(self.settings)
                    lost = asyncio.Event()
                    raw.add_termination_listener(lambda _conn, lost=lost: lost.set())
                    await raw.add_listener(channel, self._notified)
                    delay = 1.0
                    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
                    try:
                        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        for waiter in waiters:
                            waiter.cancel()
                finally:
                    if not raw.is_closed():
                        await raw.close(timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox listener cannot listen yet (%r); polling meanwhile, retrying in %.0fs", exc, delay)
            if not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, 30.0)

    def _notified(self, *_args: object) -> None:
        self.notified += 1
        self._wake.set()

    async def _run(self, stop: asyncio.Event) -> None:
        delay = self.settings.outbox_poll_interval
        while not stop.is_set():
            self._wake.clear()
            try:
                if (loop := asyncio.get_running_loop()).time() - self._last_check >= self.settings.broker_check_interval:
                    self._last_check = loop.time()
                    if sign := await self.check_broker():
                        await self._heal(sign)
                published = await self.drain()
                delay = self.settings.outbox_poll_interval
                if published:
                    log.debug("outbox relay published %d events", published)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                OUTBOX_FAILURES.labels(self.settings.service_name).inc()
                log.warning("outbox relay cannot publish yet (%s); retrying in %.1fs", exc, delay)
                await self._disconnect()
                delay = min(max(delay * 2, 0.5), 10.0)
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
        # Flush what is committed before we go, if the broker lets us: the runtime stops this
        # relay only after the requests and consumers that write events have finished.
        try:
            flushed = await asyncio.wait_for(self.drain(), timeout=self.settings.shutdown_worker_timeout)
            log.info("outbox relay flushed %d events and stopped", flushed)
        except Exception as exc:
            log.warning("outbox relay could not flush before stopping (%r); unsent events stay in the outbox for the next relay", exc)
