"""Events the notify service publishes (topic `notify.deliveries`): proof of service for the audit trail."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from shared.contracts.topics import NOTIFY_DELIVERIES
from shared.events import Event


class NotificationOutcome(Event):
    topic: ClassVar[str] = NOTIFY_DELIVERIES
    aggregate_type: ClassVar[str] = "notification"

    notification_id: str
    source_event_id: str
    request_id: str | None = None
    kind: str
    channel: str
    recipient: str
    statutory: bool
    attempts: int
    provider_message_id: str | None = None
    reason: str | None = None
    posted_on: date | None = None  # a letter: the day it was mailed (provider_message_id holds the tracking number)


class NotificationDelivered(NotificationOutcome):
    event_type: ClassVar[str] = "NotificationDelivered"


class NotificationFailed(NotificationOutcome):
    event_type: ClassVar[str] = "NotificationFailed"
