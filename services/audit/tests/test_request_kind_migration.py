"""Migration 0006 on existing data: facts of Art. 41 requests, projected before it, are found in the log."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import text

from services.audit.app import build_spec
from services.audit.domain.chain import canonical
from services.audit.settings import AuditSettings
from shared import migrate
from shared.db import create_engine
from shared.testing import settings_for


async def test_facts_of_correction_requests_projected_before_the_kind_existed_are_rekeyed(databases) -> None:
    url = await databases.new("audit")
    spec = build_spec(settings_for(AuditSettings, database_url=url, bootstrap="127.0.0.1:1", prefix="t."))
    await asyncio.to_thread(migrate.upgrade, spec.migrations, url, spec.version_table, "0005")
    now = datetime(2026, 4, 1, tzinfo=UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for n, (request_id, kind) in enumerate([("req-art41", "record_correction"), ("req-plain", "disclosure")], start=1):
                envelope = canonical(
                    {
                        "type": "RequestReceived",
                        "aggregate_type": "request",
                        "aggregate_id": request_id,
                        "payload": {"request_id": request_id, "kind": kind, "state": "received"},
                    }
                )
                await conn.execute(
                    text(
                        "INSERT INTO audit_entries (seq, event_id, event_type, event_version, source, aggregate_type, aggregate_id, agency_id,"
                        " actor_sub, actor_role, correlation_id, occurred_at, recorded_at, envelope, prev_hash, hash)"
                        " VALUES (:seq, :event_id, 'RequestReceived', 1, 'requests', 'request', :rid, 'a', 'x', 'handler', NULL, :at, :at,"
                        " :envelope, :prev, :hash)"
                    ),
                    {
                        "seq": n,
                        "event_id": f"ev-{n}",
                        "rid": request_id,
                        "at": now,
                        "envelope": envelope,
                        "prev": "0" * 64,
                        "hash": f"{n:064d}",
                    },
                )
                await conn.execute(
                    text(
                        "INSERT INTO request_facts (request_id, agency_id, tracking_number, applicant_type, channel, state, received_on,"
                        " extension_days, correction_requested, rounds, updated_at)"
                        " VALUES (:rid, 'a', :rid, 'natural_person', 'online', 'received', :received, 0, false, 1, :at)"
                    ),
                    {"rid": request_id, "received": date(2026, 4, 1), "at": now},
                )
        await asyncio.to_thread(migrate.upgrade, spec.migrations, url, spec.version_table, "head")
        async with engine.connect() as conn:
            kinds = dict((await conn.execute(text("SELECT request_id, kind FROM request_facts"))).all())
        assert kinds == {"req-art41": "record_correction", "req-plain": "disclosure"}
    finally:
        await engine.dispose()
