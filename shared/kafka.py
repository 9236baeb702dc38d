"""aiokafka clients configured the one way this system uses them."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """acks=all without the idempotent producer (the dev broker rejects it): consumers dedupe."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.service_name}-producer",
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        retry_backoff_ms=200,
    )


def make_consumer(settings: ServiceSettings, topics: list[str], group_id: str) -> AIOKafkaConsumer:
    """Manual offset commits, from the earliest offset for a new group."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{group_id}-consumer",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=max(settings.kafka_request_timeout_ms, 40_000),
        session_timeout_ms=10_000,
        heartbeat_interval_ms=2_000,
        max_poll_records=200,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )


async def ensure_topics(settings: ServiceSettings, topics: list[str]) -> None:
    """Create the topics that do not exist yet, with the configured partitions and replication."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=settings.kafka_request_timeout_ms)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, settings.kafka_topic_partitions, settings.kafka_topic_replication) for t in missing])
            except TopicAlreadyExistsError:
                pass  # another replica won the race
            log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()


async def broker_reachable(settings: ServiceSettings, timeout: float = 3.0) -> bool:
    """True when some bootstrap server answers a metadata request."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        return True
    except Exception:
        return False
    finally:
        try:
            await admin.close()
        except Exception:
            pass
