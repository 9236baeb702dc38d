"""Events of the platform's own operation: what an operator or a self-healing relay did to the event flow.

They travel on `platform.operations`, which only the audit service's event log reads, so every
replay is on the tamper-evident record without reaching webhook receivers or domain consumers.
"""

from __future__ import annotations

from typing import ClassVar

from shared.contracts.topics import PLATFORM_OPERATIONS
from shared.events import Event


class DeadLetterReplayed(Event):
    """An operator sent a parked event back to its topic, for the consumer that had parked it."""

    event_type: ClassVar[str] = "DeadLetterReplayed"
    topic: ClassVar[str] = PLATFORM_OPERATIONS
    aggregate_type: ClassVar[str] = "dead_letter"

    consumer: str
    event_id: str
    event_type_replayed: str
    original_topic: str
    original_offset: int | None = None
    error: str
    attempts: int
    operator: str


class OutboxReplayed(Event):
    """Events already published were marked unsent, so the relay publishes them again."""

    event_type: ClassVar[str] = "OutboxReplayed"
    topic: ClassVar[str] = PLATFORM_OPERATIONS
    aggregate_type: ClassVar[str] = "outbox"

    since: str
    events: int
    reason: str
    operator: str
