"""Helpers the notify tests share: request events as the requests service emits them, fan-out, rows."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from services.notify.adapters.orm import InboxMessage, Notification, plumbing
from services.notify.app import channels_from
from services.notify.service.fanout import FanOutConfig, fan_out
from services.notify.settings import NotifySettings
from shared.contracts import requests as ev
from shared.db import new_id
from shared.events import Actor, EventEnvelope

RECEIVED_ON, DUE_ON = date(2026, 9, 28), date(2026, 10, 30)


def request_event(
    cls: type[ev.RequestEvent] = ev.RequestReceived,
    *,
    sub: str | None = "citizen-1",
    agency: str = "agency-1",
    contact: ev.Contact | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> EventEnvelope:
    """An event about one request, with the facts every request event carries."""
    request_id = request_id or new_id()
    event = cls(
        request_id=request_id,
        tracking_number=f"2026-MZ-{request_id[-5:]}",
        agency_id=agency,
        state="received",
        applicant_sub=sub,
        applicant_type="natural_person",
        channel="online" if sub else "letter",
        received_on=RECEIVED_ON,
        due_on=DUE_ON,
        contact=contact,
        **extra,
    )
    return event.envelope(source="requests", aggregate_id=request_id, agency_id=agency, actor=Actor.system("test"))


def config_of(settings: NotifySettings) -> FanOutConfig:
    """The fan-out configuration the app derives from these settings."""
    return FanOutConfig.from_settings(settings, frozenset(channels_from(settings)))


async def fan(app, envelope: EventEnvelope, settings: NotifySettings) -> int:
    async with app.state.runtime.uow() as uow:
        created = await fan_out(uow, envelope, config=config_of(settings))
        await uow.commit()
    return created


async def notifications(app, **where: Any) -> list[Notification]:
    async with app.state.runtime.sessions() as s:
        query = select(Notification).order_by(Notification.created_at, Notification.channel)
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        return list((await s.execute(query)).scalars())


async def inbox_of(app, sub: str) -> list[InboxMessage]:
    async with app.state.runtime.sessions() as s:
        return list(
            (
                await s.execute(select(InboxMessage).where(InboxMessage.recipient_kind == "user", InboxMessage.recipient_sub == sub))
            ).scalars()
        )


async def outbox_events(app, event_type: str) -> list[dict]:
    """Outcome events the service wrote to its outbox (published or not), as envelopes."""
    async with app.state.runtime.sessions() as s:
        rows = (await s.execute(select(plumbing.outbox.c.body).where(plumbing.outbox.c.event_type == event_type))).scalars()
        return [json.loads(body) for body in rows]
