"""The versioned event envelope every service publishes, and the topic naming rules.

Topics are named `<service>.<aggregate>` (plural aggregate, lower case), e.g.
`catalog.agencies`, `requests.requests`; a deployment prefix (`KAFKA_TOPIC_PREFIX`)
is prepended to every topic. Messages are keyed by `aggregate_id`, so all events of
one aggregate land on one partition in order. A consumer group is named
`<prefix><service>.<consumer>`; its dead letters go to `<prefix>dlq.<service>.<consumer>`.
Event `type` names are past-tense PascalCase (`AgencyRegistered`); a schema evolves
additively, and a breaking change takes a new `version`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.context import current_correlation_id
from shared.db import new_id

ENVELOPE_SCHEMA = 1


class Actor(BaseModel):
    """Who caused the event: a user (by subject and role) or the system itself."""

    model_config = ConfigDict(frozen=True)

    kind: str = "user"  # user | system
    sub: str
    role: str | None = None
    agency_id: str | None = None

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(kind="system", sub=name)


class EventEnvelope(BaseModel):
    """The wire format of every event; immutable once built."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = ENVELOPE_SCHEMA
    event_id: str = Field(default_factory=new_id)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str
    aggregate_type: str
    aggregate_id: str
    agency_id: str | None = None
    actor: Actor
    correlation_id: str | None = Field(default_factory=current_correlation_id)
    payload: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> EventEnvelope:
        return cls.model_validate_json(raw)


class Event(BaseModel):
    """Base for typed event payloads: subclasses name their `type`, `version` and topic."""

    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str] = ""
    event_version: ClassVar[int] = 1
    topic: ClassVar[str] = ""
    aggregate_type: ClassVar[str] = ""

    def envelope(self, *, source: str, aggregate_id: str, actor: Actor, agency_id: str | None = None) -> EventEnvelope:
        """Wrap this payload in an envelope."""
        return EventEnvelope(
            type=self.event_type or type(self).__name__,
            version=self.event_version,
            source=source,
            aggregate_type=self.aggregate_type,
            aggregate_id=aggregate_id,
            agency_id=agency_id,
            actor=actor,
            payload=self.model_dump(mode="json"),
        )


def dead_letter_topic(prefix: str, group_id: str) -> str:
    return f"{prefix}dlq.{group_id}"
