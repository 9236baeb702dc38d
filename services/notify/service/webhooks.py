"""Webhooks for agency systems: every matching event pushed once, HMAC-signed, retried with backoff.

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
from datetime import timedelta

import httpx
from sqlalchemy import or_, select

from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

from services.notify.adapters.orm import WebhookDelivery, WebhookSubscription
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


async def deliver_once(new_uow: Callable[[], UnitOfWork], settings: NotifySettings, client: httpx.AsyncClient) -> int:
    """POST one batch of due deliveries; returns how many were attempted."""
    async with new_uow() as uow:
        due = list((await uow.session.execute(
            select(WebhookDelivery, WebhookSubscription).join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.created_at).limit(settings.dispatch_batch_size)
            .with_for_update(skip_locked=True, of=WebhookDelivery))).all())
        for delivery, sub in due:
            body = delivery.body.encode()
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Webhook-Event": delivery.event_type, "X-Webhook-Delivery": delivery.id,
                       "X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(sub.secret, timestamp, body)}
            delivery.attempts += 1
            try:
                response = await client.post(sub.url, content=body, headers=headers)
                delivery.last_status_code = response.status_code
                ok, permanent, error = response.is_success, 400 <= response.status_code < 500 and response.status_code not in (408, 429), \
                    f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, permanent, error = False, False, f"{type(exc).__name__}: {exc}"
            if ok:
                delivery.status, delivery.delivered_at, delivery.last_error = "sent", utcnow(), None
            elif permanent or delivery.attempts >= settings.max_attempts:
                delivery.status, delivery.last_error = "failed", error
            else:
                delay = min(settings.retry_base_seconds * 2 ** (delivery.attempts - 1), settings.retry_max_seconds)
                delivery.last_error, delivery.next_attempt_at = error, utcnow() + timedelta(seconds=delay)
        await uow.commit()
        return len(due)
