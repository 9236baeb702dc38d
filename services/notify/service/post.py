"""Letters to post: statutory notices for recipients nothing electronic can reach, and the proof they were mailed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.adapters.orm import KnownAgency, Notification
from shared.auth import Principal, Role
from shared.contracts.catalog import AgencyRegistered
from shared.contracts.notify import NotificationDelivered
from shared.db import utcnow
from shared.errors import Problem
from shared.events import Actor, EventEnvelope
from shared.trees import descendants
from shared.uow import UnitOfWork


async def on_agency_event(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Keep the agency tree replica current (registered or updated: the event carries the whole state)."""
    event = AgencyRegistered.model_validate(envelope.payload)
    agency = await uow.session.get(KnownAgency, event.agency_id)
    if agency is None:
        uow.session.add(KnownAgency(id=event.agency_id, name=event.name, parent_id=event.parent_id))
    else:
        agency.name, agency.parent_id, agency.replicated_at = event.name, event.parent_id, utcnow()


async def visible_agencies(session: AsyncSession, principal: Principal) -> set[str] | None:
    """The officer's agency and every agency below it; None: all (admin)."""
    if principal.has_any(Role.admin):
        return None
    if not principal.agency_id:
        return set()
    return descendants((await session.execute(select(KnownAgency.id, KnownAgency.parent_id))).all(), principal.agency_id)


async def letters(
    session: AsyncSession, principal: Principal, *, status: str | None, request_id: str | None, limit: int
) -> list[Notification]:
    query = select(Notification).where(Notification.channel == "post")
    scope = await visible_agencies(session, principal)
    if scope is not None:
        query = query.where(Notification.agency_id.in_(scope))
    if status:
        query = query.where(Notification.status == status)
    if request_id:
        query = query.where(Notification.request_id == request_id)
    return list((await session.execute(query.order_by(Notification.created_at).limit(limit))).scalars())


async def mark_posted(
    uow: UnitOfWork, principal: Principal, notification_id: str, *, tracking_number: str, posted_on: date, today: date
) -> Notification:
    """Record the mailing as the proof of service: sent, with the tracking number and date, and NotificationDelivered."""
    n = await uow.session.get(Notification, notification_id)
    scope = await visible_agencies(uow.session, principal)
    if n is None or n.channel != "post" or (scope is not None and n.agency_id not in scope):
        raise Problem(404, "letter_not_found", "待邮寄通知不存在或不在本机关范围内")
    if n.status in ("standby", "not_needed"):
        raise Problem(409, "letter_not_needed", "该通知正在或已经通过电子渠道送达，无需邮寄", current_status=n.status)
    if n.status != "to_post":
        raise Problem(
            409,
            "letter_already_posted",
            f"该通知已于{n.posted_on}登记邮寄（邮件号 {n.provider_message_id}），不能重复登记",
            posted_on=str(n.posted_on),
            tracking_number=n.provider_message_id,
        )
    if posted_on > today:
        raise Problem(422, "date_in_future", "邮寄日期不能晚于今天", errors=[{"field": "posted_on", "message": "日期不能晚于今天"}])
    if posted_on < n.created_at.date():
        raise Problem(
            422, "posted_before_notice", "邮寄日期早于通知生成日期", errors=[{"field": "posted_on", "message": "早于通知生成日期"}]
        )
    n.status, n.attempts, n.sent_at, n.last_error = "sent", n.attempts + 1, utcnow(), None
    n.provider_message_id, n.posted_on, n.posted_by = tracking_number, posted_on, principal.sub
    event = NotificationDelivered(
        notification_id=n.id,
        source_event_id=n.event_id,
        request_id=n.request_id,
        kind=n.kind,
        channel=n.channel,
        recipient=n.recipient,
        statutory=n.statutory,
        attempts=n.attempts,
        provider_message_id=tracking_number,
        posted_on=posted_on,
    )
    uow.emit(
        event.topic,
        event.envelope(
            source="notify",
            aggregate_id=n.request_id or n.id,
            agency_id=n.agency_id,
            actor=Actor(sub=principal.sub, role=principal.primary_role.value, agency_id=principal.agency_id),
        ),
    )
    return n
