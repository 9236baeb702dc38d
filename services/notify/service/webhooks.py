"""Webhooks for agency systems: every matching event pushed once, HMAC-signed, retried with backoff.

Only public addresses are called (services.notify.adapters.webhook_http vets and pins each one).
A round claims its batch in one short transaction, POSTs with no database connection held, and
records each outcome in a unit of work of its own.

Each subscription is a lane of its own: its deliveries go out one after another, in order, while
other subscriptions' lanes run beside it, and a round does not wait for lanes still sending (the
next round claims only for subscriptions whose lane is free). A receiver that never answers thus
holds up only itself, for its own time limits; the others are sent within a round.

Signature: `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the
timestamp in `X-Webhook-Timestamp`, so a receiver can reject forgeries and stale replays.
`X-Webhook-Delivery` is stable across retries: receivers dedupe on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from services.notify.adapters.orm import WebhookDelivery, WebhookSubscription
from services.notify.adapters.webhook_http import PostOutcome, WebhookPoster
from services.notify.settings import NotifySettings
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def enqueue(uow: UnitOfWork, envelope: EventEnvelope) -> int:
    """One delivery per matching subscription; a redelivered event finds its rows and adds none."""
    candidates = (
        await uow.session.execute(
            select(WebhookSubscription).where(
                WebhookSubscription.active.is_(True),
                or_(WebhookSubscription.agency_id.is_(None), WebhookSubscription.agency_id == envelope.agency_id),
            )
        )
    ).scalars()
    subscriptions = [s for s in candidates if "*" in s.event_types or envelope.type in s.event_types]
    if not subscriptions:
        return 0
    # One query for the event's existing deliveries, not one per subscription (this runs for every event);
    # it still uses the (subscription_id, event_id) unique index.
    existing = set(
        (
            await uow.session.execute(
                select(WebhookDelivery.subscription_id).where(
                    WebhookDelivery.subscription_id.in_([s.id for s in subscriptions]), WebhookDelivery.event_id == envelope.event_id
                )
            )
        ).scalars()
    )
    created = 0
    for sub in subscriptions:
        if sub.id in existing:
            continue
        uow.session.add(
            WebhookDelivery(
                subscription_id=sub.id,
                event_id=envelope.event_id,
                event_type=envelope.type,
                body=envelope.model_dump_json(),
                status="pending",
            )
        )
        created += 1
    return created


@dataclass(frozen=True)
class Claimed:
    """What one claimed delivery needs to be sent, copied out of the session that claimed it."""

    id: str
    subscription_id: str
    attempt: int
    url: str
    secret: str
    event_type: str
    body: bytes


async def claim(new_uow: Callable[[], UnitOfWork], settings: NotifySettings, busy: Collection[str] = ()) -> list[Claimed]:
    """Take one batch of due deliveries: count the attempt and lease them past the send's time limit, then commit.

    Subscriptions in `busy` (their lane is still sending) are left out, so their backlog cannot
    fill the batch and keep the other subscriptions' deliveries waiting.
    """
    async with new_uow() as uow:
        query = (
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
        )
        if busy:
            query = query.where(WebhookDelivery.subscription_id.not_in(list(busy)))
        due = list(
            (
                await uow.session.execute(
                    query.order_by(WebhookDelivery.created_at)
                    .limit(settings.dispatch_batch_size)
                    .with_for_update(skip_locked=True, of=WebhookDelivery)
                )
            ).all()
        )
        # A lane sends its deliveries one after another: each lease covers its whole lane, so no
        # other replica takes one still waiting its turn.
        lane_lengths = Counter(delivery.subscription_id for delivery, _ in due)
        claimed = []
        for delivery, sub in due:
            if delivery.attempts >= settings.max_attempts:  # a crash after the last claim left it pending
                delivery.status, delivery.last_error = "failed", delivery.last_error or "超过最多尝试次数"
                continue
            delivery.attempts += 1
            delivery.next_attempt_at = utcnow() + timedelta(seconds=settings.webhook_total_timeout_seconds * lane_lengths[sub.id] + 60)
            claimed.append(
                Claimed(delivery.id, sub.id, delivery.attempts, sub.url, sub.secret, delivery.event_type, delivery.body.encode())
            )
        await uow.commit()
    return claimed


async def send(poster: WebhookPoster, item: Claimed) -> PostOutcome:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Event": item.event_type,
        "X-Webhook-Delivery": item.id,
        "X-Webhook-Timestamp": timestamp,
        "X-Webhook-Signature": sign(item.secret, timestamp, item.body),
    }
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


class WebhookSender:
    """Claims due deliveries each round and sends them in one lane per subscription, without waiting for slow lanes.

    A crash after a receiver accepted but before the outcome was recorded sends that delivery
    again once its lease runs out: receivers dedupe on X-Webhook-Delivery.
    """

    def __init__(self, new_uow: Callable[[], UnitOfWork], settings: NotifySettings, poster: WebhookPoster) -> None:
        self.new_uow, self.settings, self.poster = new_uow, settings, poster
        self.lanes: dict[str, asyncio.Task] = {}  # subscription id → its lane, while it sends

    async def round(self) -> int:
        """Claim what is due for the subscriptions whose lane is free and start their lanes; returns how many were claimed."""
        self.lanes = {sid: lane for sid, lane in self.lanes.items() if not lane.done()}
        claimed = await claim(self.new_uow, self.settings, busy=self.lanes.keys())
        by_subscription: dict[str, list[Claimed]] = {}
        for item in claimed:
            by_subscription.setdefault(item.subscription_id, []).append(item)
        for sid, items in by_subscription.items():
            self.lanes[sid] = asyncio.create_task(self._lane(items), name=f"webhook-lane-{sid}")
        return len(claimed)

    async def _lane(self, items: list[Claimed]) -> None:
        for item in items:
            try:
                outcome = await send(self.poster, item)
                await record(self.new_uow, self.settings, item, outcome)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away, say: the lease runs out and the delivery is sent again
                log.warning("webhook delivery %s: outcome not recorded; it is sent again after its lease", item.id, exc_info=True)

    async def wait(self, timeout: float | None = None) -> None:
        """Wait for the running lanes (at most `timeout` seconds), then cancel what is left."""
        lanes = [lane for lane in self.lanes.values() if not lane.done()]
        if lanes:
            _, pending = await asyncio.wait(lanes, timeout=timeout)
            for lane in pending:
                lane.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self.lanes.clear()


async def deliver_once(new_uow: Callable[[], UnitOfWork], settings: NotifySettings, poster: WebhookPoster) -> int:
    """One round whose lanes are waited for: claim a batch, POST each with no database connection held, record each outcome."""
    sender = WebhookSender(new_uow, settings, poster)
    claimed = await sender.round()
    await sender.wait()
    return claimed
