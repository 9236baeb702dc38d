"""The outbox relay: publishes committed events to Kafka, then marks them sent.

Safe with several replicas: each round locks a batch with `FOR UPDATE SKIP LOCKED`
(PostgreSQL), and publishes a row only when no earlier unsent row of the same key is
held by another replica, so one aggregate's events still reach Kafka in order.
A crash between publish and mark re-publishes the row: delivery is at-least-once and
consumers dedupe by event_id.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.kafka import ensure_topics, make_producer
from shared.metrics import OUTBOX_FAILURES, OUTBOX_PENDING, OUTBOX_PUBLISHED
from shared.plumbing import Plumbing
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], plumbing: Plumbing, settings: ServiceSettings, topics: list[str]) -> None:
        self.sessions = sessions
        self.table = plumbing.outbox
        self.settings = settings
        self.topics = [settings.topic(t) for t in topics]
        self._producer: AIOKafkaProducer | None = None
        self._known_topics: set[str] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that wrote events, so they go out without waiting for the poll."""
        self._wake.set()

    async def _connect(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(self.settings)
            try:
                await producer.start()
                if self.settings.kafka_ensure_topics:
                    await ensure_topics(self.settings, self.topics)
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
            sent = [r.id for r, res in zip(sendable, results) if not isinstance(res, BaseException)]
            failed = [(r.id, res) for r, res in zip(sendable, results) if isinstance(res, BaseException)]
            if sent:
                await session.execute(update(t).where(t.c.id.in_(sent)).values(published_at=utcnow(), attempts=t.c.attempts + 1))
            for row_id, error in failed:
                await session.execute(update(t).where(t.c.id == row_id).values(attempts=t.c.attempts + 1, last_error=repr(error)[:2000]))
        OUTBOX_PUBLISHED.labels(self.settings.service_name).inc(len(sent))
        if failed:
            raise ConnectionError(f"{len(failed)} outbox rows failed to publish: {failed[0][1]!r}")
        return len(sent)

    async def pending_count(self) -> int:
        async with self.sessions() as session:
            return (await session.execute(select(func.count()).select_from(self.table).where(self.table.c.published_at.is_(None)))).scalar_one()

    async def drain(self) -> int:
        """Publish until nothing is left (or only rows held by other replicas)."""
        total = 0
        while (n := await self.publish_batch()) > 0:
            total += n
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set, then flush what is committed; back off while the broker is unreachable."""
        try:
            await self._run(stop)
        finally:
            await self._disconnect()  # also when the runtime cancels a flush that ran out of time

    async def _run(self, stop: asyncio.Event) -> None:
        delay = self.settings.outbox_poll_interval
        while not stop.is_set():
            self._wake.clear()
            try:
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
