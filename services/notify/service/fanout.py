"""Turns events into notifications: one row per (event, kind, recipient, channel), never two."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

from services.notify.adapters.orm import InboxMessage, Notification
from services.notify.domain.routing import routes_for
from services.notify.domain.templates import render, sms_text


def _recipients(route_recipient: str, envelope: EventEnvelope) -> list[str]:
    p = envelope.payload
    if route_recipient == "applicant":
        return [p.get("applicant_sub") or f"applicant:{p['request_id']}"]
    if route_recipient == "assignee":
        return [p["assignee_sub"]] if p.get("assignee_sub") else [f"role:{envelope.agency_id}:head"]
    return [f"role:{envelope.agency_id}:{route_recipient.split(':', 1)[1]}"]


def _addresses(channel: str, recipient: str, payload: dict) -> str | None:
    contact = payload.get("contact") or {}
    return {"inbox": recipient, "email": contact.get("email"), "sms": contact.get("mobile")}.get(channel)


async def fan_out(uow: UnitOfWork, envelope: EventEnvelope, *, site: str) -> int:
    """Create this event's notifications; the inbox ones are delivered at once, the rest queued."""
    created = 0
    for route in routes_for(envelope.type, envelope.payload):
        subject, body = render(route.kind, envelope.payload, site=site)
        for recipient in _recipients(route.recipient, envelope):
            for channel in route.channels:
                address = _addresses(channel, recipient, envelope.payload)
                if not address:
                    continue  # the applicant gave no such contact
                exists = await uow.session.execute(select(Notification.id).where(
                    Notification.event_id == envelope.event_id, Notification.kind == route.kind,
                    Notification.recipient == recipient, Notification.channel == channel))
                if exists.first():
                    continue
                notification = Notification(
                    event_id=envelope.event_id, event_type=envelope.type, kind=route.kind, statutory=route.statutory,
                    request_id=envelope.payload.get("request_id"), agency_id=envelope.agency_id, recipient=recipient,
                    channel=channel, address=address, subject=subject, body=sms_text(subject, body) if channel == "sms" else body,
                    status="pending")
                uow.session.add(notification)
                if channel == "inbox":
                    uow.session.add(InboxMessage(recipient_sub=recipient, kind=route.kind, subject=subject, body=body,
                                                 source_event_id=envelope.event_id))
                    notification.status, notification.attempts, notification.sent_at = "sent", 1, utcnow()
                created += 1
    return created
