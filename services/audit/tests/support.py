"""Building an audit database from events, as the consumer would, for the audit tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import text

from services.audit.app import build_spec, create_app
from services.audit.service.record import record_and_project
from services.audit.settings import AuditSettings
from shared.contracts.catalog import AgencyRegistered
from shared.contracts.requests import RequestEvent, RequestReceived
from shared.db import create_engine, new_id
from shared.events import Actor, EventEnvelope
from shared.service import ServiceRuntime
from shared.testing import free_port, running_app, settings_for


async def audit_settings(databases, topic_prefix: str) -> AuditSettings:
    """An audit service without workers: no broker is needed, events are recorded directly."""
    return settings_for(
        AuditSettings,
        database_url=await databases.new("audit"),
        bootstrap=f"127.0.0.1:{free_port()}",
        prefix=topic_prefix,
        run_workers=False,
    )


@contextlib.asynccontextmanager
async def recorder(settings: AuditSettings) -> AsyncIterator[Any]:
    """A migrated runtime and a `record(envelope)` that handles one event in its own transaction."""
    runtime = ServiceRuntime(build_spec(settings))
    await runtime.migrate()

    async def record(*envelopes: EventEnvelope) -> None:
        for envelope in envelopes:
            async with runtime.uow() as uow:
                await record_and_project(uow, envelope)
                await uow.commit()

    try:
        yield record
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def client(settings: AuditSettings):
    async with running_app(create_app(settings)) as c:
        yield c


async def execute(database_url: str, sql: str, **params: Any) -> None:
    """Change the database directly, as someone bypassing the service would."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


def agency(name: str, parent_id: str | None = None, agency_id: str | None = None) -> EventEnvelope:
    agency_id = agency_id or new_id()
    return AgencyRegistered(agency_id=agency_id, name=name, kind="department", parent_id=parent_id).envelope(
        source="catalog", aggregate_id=agency_id, agency_id=agency_id, actor=Actor(sub="admin-1", role="admin")
    )


def county_tree() -> tuple[list[EventEnvelope], dict[str, str]]:
    """县政府 → 甲局 → 甲局下属中心, and 乙局: their registration events and ids by key (county, a, a1, b)."""
    county = agency("某某县人民政府")
    a = agency("某某县甲局", county.aggregate_id)
    a1 = agency("某某县甲局下属中心", a.aggregate_id)
    b = agency("某某县乙局", county.aggregate_id)
    return [county, a, a1, b], {"county": county.aggregate_id, "a": a.aggregate_id, "a1": a1.aggregate_id, "b": b.aggregate_id}


def request_event(
    cls: type[RequestEvent], request_id: str, agency_id: str, *, actor: str = "handler-1", state: str = "in_progress", **fields: Any
) -> EventEnvelope:
    """A request event with the summary every request event carries."""
    base: dict[str, Any] = dict(
        request_id=request_id,
        tracking_number=f"YSQ-{request_id[-6:]}",
        agency_id=agency_id,
        state=state,
        applicant_type="natural_person",
        channel="online",
        received_on=date(2025, 3, 3),
        due_on=date(2025, 3, 31),
    )
    base.update(fields)
    return cls(**base).envelope(
        source="requests", aggregate_id=request_id, agency_id=agency_id, actor=Actor(sub=actor, role="handler", agency_id=agency_id)
    )


def received(agency_id: str, **fields: Any) -> EventEnvelope:
    return request_event(RequestReceived, new_id(), agency_id, state="received", **fields)
