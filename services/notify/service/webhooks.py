"""Webhooks for agency systems: every matching event pushed once, HMAC-signed, retried with backoff.

Only public addresses are called (services.notify.adapters.webhook_http vets and pins each one).
A round claims its batch in one short transaction, POSTs with no database connection held, and
records each outcome in a unit of work of its own.

Signature: `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the
timestamp in `X-Webhook-Timestamp`, so a receiver can reject forgeries and stale replays.
`X-Webhook-Delivery` is stable across retries: receivers dedupe on it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

from services.notify.adapters.orm import WebhookDelivery, WebhookSubscription
from services.notify.adapters.webhook_http import PostOutcome, WebhookPoster
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def enqueue(uow: UnitOfWork, envelope: EventEnvelope) -> int:
    """One delivery per matching subscription; a redelivered event finds its rows and adds none."""
    subscriptions = (await uow.session.execute(select(WebhookSubscription).where(
        WebhookSubscription.active.is_(True),
        or_(WebhookSubscription.agency_id.is_(None), WebhookSubscription.agency_id == envelope.agency_id)))).scalars()
    created = 0
    for sub in subscriptions:
        if "*" not in sub.event_types and envelope.type not in sub.event_types:
            continue
        exists = await uow.session.execute(select(WebhookDelivery.id).where(
            WebhookDelivery.subscription_id == sub.id, WebhookDelivery.event_id == envelope.event_id))
        if exists.first():
            continue
        uow.session.add(WebhookDelivery(subscription_id=sub.id, event_id=envelope.event_id, event_type=envelope.type,
                                        body=envelope.model_dump_json(), status="pending"))
        created += 1
    return created


@dataclass(frozen=True)
class Claimed:
    """What one claimed delivery needs to be sent, copied out of the session that claimed it."""

    id: str
    attempt: int
    url: str
    secret: str
    event_type: str
    body: bytes


async def claim(new_uow: Callable[[], UnitOfWork], settings: NotifySettings) -> list[Claimed]:
    """Take one batch of due deliveries: count the attempt and lease them past the send's time limit, then commit."""
    async with new_uow() as uow:
        due = list((await uow.session.execute(
            select(WebhookDelivery, WebhookSubscription).join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.created_at).limit(settings.dispatch_batch_size)
            .with_for_update(skip_locked=True, of=WebhookDelivery))).all())
        # Sent one after another: the lease covers the whole batch, so no other replica takes one still waiting its turn.
        lease = timedelta(seconds=settings.webhook_total_timeout_seconds * max(len(due), 1) + 60)
        claimed = []
        for delivery, sub in due:
            if delivery.attempts >= settings.max_attempts:  # a crash after the last claim left it pending
                delivery.status, delivery.last_error = "failed", delivery.last_error or "超过最多尝试次数"
                continue
            delivery.attempts += 1
            delivery.next_attempt_at = utcnow() + lease
            claimed.append(Claimed(delivery.id, delivery.attempts, sub.url, sub.secret, delivery.event_type, delivery.body.encode()))
        await uow.commit()
    return claimed


async def send(poster: WebhookPoster, item: Claimed) -> PostOutcome:
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Webhook-Event": item.event_type, "X-Webhook-Delivery": item.id,
               "X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(item.secret, timestamp, item.body)}
    return await poster.post(item.url, item.body, headers)


async def record(new_uow: Callable[[], UnitOfWork], settings: NotifySettings, item: Claimed, outcome: PostOutcome) -> None:
    """Write one send's outcome in its own unit of work; a delivery claimed again meanwhile is left to that claim."""
    async with new_uow() as uow:
        delivery = await uow.session.get(WebhookDelivery, item.id)
        if delivery is None or delivery.status != "pending" or delivery.attempts != item.attempt:
            return
        delivery.last_status_code = outcome.status_code
        if outcome.ok:
            delivery.status, delivery.delivered_at, delivery.last_error = "sent", utcnow(), None
        elif outcome.permanent or delivery.attempts >= settings.max_attempts:
            delivery.status, delivery.last_error = "failed", outcome.error
        else:
            delay = min(settings.retry_base_seconds * 2 ** (delivery.attempts - 1), settings.retry_max_seconds)
            delivery.last_error, delivery.next_attempt_at = outcome.error, utcnow() + timedelta(seconds=delay)
            log.info("webhook delivery %s will be retried: %s", delivery.id, outcome.error)
        await uow.commit()


async def deliver_once(new_uow: Callable[[], UnitOfWork], settings: NotifySettings, poster: WebhookPoster) -> int:
    """Claim a batch, POST each with no database connection held, record each outcome; returns how many were attempted.

    A crash after a receiver accepted but before the outcome was recorded sends that delivery
    again once its lease runs out: receivers dedupe on X-Webhook-Delivery.
    """
    claimed = await claim(new_uow, settings)
    for item in claimed:
        outcome = await send(poster, item)
        await record(new_uow, settings, item, outcome)
    return len(claimed)
