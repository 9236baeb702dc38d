"""The dispatcher: sends queued notifications, retries transient failures with backoff, records the outcome.

Safe with several replicas: each round claims its batch with FOR UPDATE SKIP LOCKED in a short
transaction (the attempt counted, the rows leased), sends with no database connection held, and
records each outcome with its event (through the outbox) in a unit of work of its own. A crash
between a provider accepting and that record sends the message again once the lease runs out,
which is why messages carry a stable id (e-mail Message-ID, SMS OutId) providers can dedupe on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import select

from services.notify.adapters.channels import Channel, OutgoingMessage, SendResult
from services.notify.adapters.notices import NoticeFetcher, NoticeUnavailable
from services.notify.adapters.orm import Notification
from services.notify.settings import NotifySettings
from shared.contracts.notify import NotificationDelivered, NotificationFailed
from shared.db import utcnow
from shared.events import Actor
from shared.logging import mask_pii
from shared.periodic import every
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
SEND_LEASE_SECONDS = 120  # per claimed message: how long before an unrecorded send (a crashed replica) is tried again


def backoff(attempts: int, settings: NotifySettings) -> timedelta:
    return timedelta(seconds=min(settings.retry_base_seconds * 2 ** (attempts - 1), settings.retry_max_seconds))


async def settle_reserve_letter(uow: UnitOfWork, n: Notification) -> None:
    """A reserve letter is not needed once the notice went out; it goes on the post list once every other channel failed."""
    siblings = list(
        (
            await uow.session.execute(
                select(Notification).where(
                    Notification.event_id == n.event_id,
                    Notification.kind == n.kind,
                    Notification.recipient == n.recipient,
                    Notification.id != n.id,
                )
            )
        ).scalars()
    )
    reserve = [s for s in siblings if s.channel == "post" and s.status == "standby"]
    if not reserve:
        return
    if n.status == "sent":
        reserve[0].status = "not_needed"
    elif not any(s.status in ("pending", "sent") for s in siblings if s.channel != "post"):
        reserve[0].status, reserve[0].last_error = "to_post", f"电子送达未成功，改为邮寄：{n.channel} {n.last_error}"


@dataclass(frozen=True)
class Claimed:
    """One notification to send, copied out of the session that claimed it."""

    id: str
    attempt: int
    channel: str
    message: OutgoingMessage


async def claim(new_uow: Callable[[], UnitOfWork], channels: Mapping[str, Channel], settings: NotifySettings) -> tuple[list[Claimed], int]:
    """Take one batch of due notifications in a short transaction: count the attempt, lease them past the batch's sending."""
    async with new_uow() as uow:
        due = list(
            (
                await uow.session.execute(
                    select(Notification)
                    .where(Notification.status == "pending", Notification.next_attempt_at <= utcnow())
                    .order_by(Notification.created_at)
                    .limit(settings.dispatch_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        lease = utcnow() + timedelta(seconds=SEND_LEASE_SECONDS * max(len(due), 1))
        claimed = []
        for n in due:
            if n.channel not in channels:
                # Not a failure of delivery: this deployment has no such channel (the inbox copy stands).
                n.status, n.last_error = "skipped", f"本系统未配置{n.channel}渠道"
                if n.statutory:
                    await settle_reserve_letter(uow, n)
                continue
            n.attempts += 1
            n.next_attempt_at = lease
            claimed.append(
                Claimed(
                    n.id,
                    n.attempts,
                    n.channel,
                    OutgoingMessage(
                        n.id,
                        n.address,
                        n.subject,
                        n.body,
                        template_id=n.template_id,
                        params=n.params or {},
                        page=n.page,
                        notice=n.attachment,
                    ),
                )
            )
        await uow.commit()
    return claimed, len(due)


async def record(new_uow: Callable[[], UnitOfWork], settings: NotifySettings, item: Claimed, result: SendResult) -> None:
    """Write one send's outcome and its event in a unit of work of its own; a row claimed again meanwhile is left to that claim."""
    async with new_uow() as uow:
        n = await uow.session.get(Notification, item.id)
        if n is None or n.status != "pending" or n.attempts != item.attempt:
            return
        if result.ok:
            n.status, n.sent_at, n.provider_message_id, n.last_error = "sent", utcnow(), result.provider_message_id, None
        elif result.permanent or n.attempts >= settings.max_attempts:
            n.status, n.last_error = "failed", result.reason
        else:
            n.last_error, n.next_attempt_at = result.reason, utcnow() + backoff(n.attempts, settings)
            log.info("notification %s will be retried: %s", n.id, mask_pii(result.reason or ""))
            await uow.commit()
            return
        if n.statutory:
            await settle_reserve_letter(uow, n)
        event_cls = NotificationDelivered if n.status == "sent" else NotificationFailed
        event = event_cls(
            notification_id=n.id,
            source_event_id=n.event_id,
            request_id=n.request_id,
            kind=n.kind,
            channel=n.channel,
            recipient=n.recipient,
            statutory=n.statutory,
            attempts=n.attempts,
            provider_message_id=n.provider_message_id,
            reason=n.last_error,
        )
        uow.emit(
            event.topic,
            event.envelope(
                source="notify", aggregate_id=n.request_id or n.id, agency_id=n.agency_id, actor=Actor.system("notify-dispatcher")
            ),
        )
        await uow.commit()


async def _with_notice(message: OutgoingMessage, notices: NoticeFetcher | None) -> OutgoingMessage:
    """The message with its formal notice's PDF attached; NoticeUnavailable leaves it to a later attempt."""
    if not message.notice or notices is None:
        return message
    ref = message.notice
    return replace(message, files=(await notices.pdf(ref["request_id"], ref["notice_id"], ref["filename"]),))


async def dispatch_once(
    new_uow: Callable[[], UnitOfWork], channels: Mapping[str, Channel], settings: NotifySettings, notices: NoticeFetcher | None = None
) -> int:
    """Send one batch of due notifications, holding no database connection while a provider answers; returns how many were due."""
    claimed, due = await claim(new_uow, channels, settings)
    for item in claimed:
        try:
            result = await channels[item.channel].send(await _with_notice(item.message, notices))
        except NoticeUnavailable as exc:  # never without the notice it announces: sent once the PDF can be had
            result = SendResult.failed(str(exc), permanent=False)
        except Exception as exc:  # network trouble: try again later
            result = SendResult.failed(f"{type(exc).__name__}: {exc}", permanent=False)
        await record(new_uow, settings, item, result)
    return due


async def run_dispatcher(
    new_uow: Callable[[], UnitOfWork],
    channels: Mapping[str, Channel],
    settings: NotifySettings,
    stop: asyncio.Event,
    notices: NoticeFetcher | None = None,
) -> None:
    async def drain() -> None:  # full batches mean more is waiting: keep going until a partial one
        while await dispatch_once(new_uow, channels, settings, notices) >= settings.dispatch_batch_size and not stop.is_set():
            pass

    await every(settings.dispatch_interval_seconds, stop, drain, what="dispatch round", log=log)
