"""Helpers for the cross-service tests: building the services and reading their databases."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from services.audit.adapters.orm import AuditEntry
from services.audit.app import create_app as audit_app
from services.audit.settings import AuditSettings
from services.catalog.app import create_app as catalog_app
from services.catalog.settings import CatalogSettings
from services.requests.app import create_app as requests_app
from services.requests.settings import RequestsSettings
from shared.contracts.catalog import AgencyRegistered
from shared.db import create_engine, new_id
from shared.events import Actor, EventEnvelope
from shared.testing import settings_for

__all__ = ["audit_app", "catalog_app", "requests_app"]


async def service_settings(databases, broker, prefix: str, **overrides: Any) -> dict[str, Any]:
    """Settings for catalog, requests and audit, each with a fresh database."""
    return {
        "catalog": settings_for(
            CatalogSettings, database_url=await databases.new("catalog"), bootstrap=broker.bootstrap, prefix=prefix, **overrides
        ),
        "requests": settings_for(
            RequestsSettings, database_url=await databases.new("requests"), bootstrap=broker.bootstrap, prefix=prefix, **overrides
        ),
        "audit": settings_for(
            AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=prefix, **overrides
        ),
    }


async def scalar(database_url: str, query) -> Any:
    """Run one query on a service's database with an engine of our own (as an operator would)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(query)).scalar()
    finally:
        await engine.dispose()


async def audit_count(database_url: str, **where: str) -> int:
    query = select(func.count()).select_from(AuditEntry)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return await scalar(database_url, query)


def handled(service: str, consumer: str, outcome: str) -> float:
    """This process's count of consumer outcomes (in-process services only)."""
    return REGISTRY.get_sample_value("events_handled_total", {"service": service, "consumer": consumer, "outcome": outcome}) or 0.0


def agency_event(name: str | None = None) -> EventEnvelope:
    agency_id = new_id()
    event = AgencyRegistered(agency_id=agency_id, name=name or f"测试机关-{agency_id[-6:]}", kind="department")
    return event.envelope(source="catalog", aggregate_id=agency_id, agency_id=agency_id, actor=Actor.system("test"))


async def publish_raw(bootstrap: str, topic: str, items: list[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def metric_value(metrics_text: str, name: str, **labels: str) -> float:
    """Read one sample from a Prometheus text exposition."""
    for line in metrics_text.splitlines():
        if not line.startswith(name + "{"):
            continue
        label_text = line[len(name) + 1 : line.index("}")]
        found = dict(part.split("=", 1) for part in label_text.split(","))
        if all(found.get(k) == f'"{v}"' for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
