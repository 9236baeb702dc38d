"""The annual report over a year of 100,000 requests, next to one plain read of the same events.

In a fresh PostgreSQL database (BENCH_POSTGRES_URL), migrated as the audit service migrates
it, bulk-inserts what the audit consumer would have built from a year of events: one
RequestFact per request, its remedies, and the event log (RequestReceived, then
AnswerDispatched or RequestClosed for the finished ones, RemedyRecorded/RemedyDecided for
the few contested), hash-chained. Then times (a) `annual_report` for the county subtree and
(b) one streaming SELECT over every audit entry, and prints both and their ratio.

    .venv/bin/python -m bench.annual_report            # BENCH_POSTGRES_URL, BENCH_REQUESTS (default 100000)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert, select

import services.audit
from services.audit.adapters.orm import AuditEntry, KnownAgency, RemedyFact, RequestFact
from services.audit.domain.annual_report import check_table_three
from services.audit.service.reports import annual_report, subtree
from shared import migrate
from shared.db import create_engine, session_factory

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100000"))
YEAR = 2026
CHUNK = 5000
GENESIS = "0" * 64
ANSWERS = (
    [("disclosed", "provided")] * 30
    + [("disclosed", "already_public")] * 10
    + [("partially_disclosed", "separated")] * 10
    + [
        ("not_disclosed", r)
        for r in (
            "state_secret",
            "prohibited_by_law",
            "security_stability",
            "third_party_rights",
            "internal_affairs",
            "process_information",
            "enforcement_file",
            "administrative_query",
        )
    ]
    + [("cannot_provide", r) for r in ("not_held", "not_held", "not_held", "needs_creation", "unclear_after_correction")]
    + [("not_handled", r) for r in ("petition_complaint", "repeated", "publication", "excessive", "confirm_or_reissue")]
    + [("other", r) for r in ("no_correction", "fee_unpaid", "other")]
)
COLUMNS = [("natural_person", None)] * 6 + [
    ("organisation", o) for o in ("commercial", "research", "public_interest", "legal_services", "other")
]


async def new_database() -> tuple[str, str]:
    name = f"bench_annual_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://", 1).rsplit("/", 1)[0] + "/" + name, name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def generate(rng: random.Random, agencies: list[str]):
    """Facts, remedies and hash-chained log entries for REQUESTS requests received around YEAR."""
    facts, remedies, entries = [], [], []
    prev = GENESIS
    now = datetime.now(UTC)
    start = date(YEAR - 1, 12, 1)

    def log(event_type: str, request_id: str, agency_id: str, on: date, payload: dict) -> None:
        nonlocal prev
        envelope = {
            "schema_version": 1,
            "event_id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": f"{on.isoformat()}T09:00:00Z",
            "source": "requests",
            "aggregate_type": "request",
            "aggregate_id": request_id,
            "agency_id": agency_id,
            "correlation_id": None,
            "actor": {"kind": "user", "sub": "officer-1", "role": "handler", "agency_id": agency_id},
            "payload": payload,
        }
        text = json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
        entries.append(
            dict(
                event_id=envelope["event_id"],
                event_type=event_type,
                event_version=1,
                source="requests",
                aggregate_type="request",
                aggregate_id=request_id,
                agency_id=agency_id,
                actor_sub="officer-1",
                actor_role="handler",
                correlation_id=None,
                occurred_at=datetime(on.year, on.month, on.day, 9, tzinfo=UTC),
                recorded_at=now,
                envelope=text,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest

    for n in range(REQUESTS):
        request_id = str(uuid.uuid4())
        agency_id = agencies[n % len(agencies)]
        applicant_type, organisation_type = rng.choice(COLUMNS)
        received = start + timedelta(days=rng.randrange(396))  # Dec of last year … Dec of this year
        finished = received + timedelta(days=rng.randrange(5, 40))
        open_ = rng.random() < 0.03
        category, reason = rng.choice(ANSWERS)
        base = {
            "request_id": request_id,
            "tracking_number": f"GK{YEAR}{n:07d}",
            "agency_id": agency_id,
            "round": 1,
            "applicant_type": applicant_type,
            "organisation_type": organisation_type,
            "channel": "online",
            "received_on": received.isoformat(),
        }
        log("RequestReceived", request_id, agency_id, received, {**base, "state": "received"})
        if not open_:
            closing = "RequestClosed" if category == "other" else "AnswerDispatched"
            log(
                closing,
                request_id,
                agency_id,
                finished,
                {**base, "state": "answered", "category": category, "reason": reason, "answered_on": finished.isoformat()},
            )
        facts.append(
            dict(
                request_id=request_id,
                agency_id=agency_id,
                tracking_number=base["tracking_number"],
                applicant_type=applicant_type,
                organisation_type=organisation_type,
                channel="online",
                state="in_progress" if open_ else "answered",
                received_on=received,
                due_on=received + timedelta(days=28),
                assignee_sub=None,
                outcome_category=None if open_ else category,
                outcome_reason=None if open_ else reason,
                finished_on=None if open_ else finished,
                on_time=None if open_ else True,
                working_days_taken=None if open_ else 10,
                extension_days=0,
                correction_requested=False,
                rounds=1,
                updated_at=now,
            )
        )
        if not open_ and rng.random() < 0.01:
            remedy_id = str(uuid.uuid4())
            kind = rng.choice(["reconsideration", "litigation_direct", "litigation_after_reconsideration"])
            filed = finished + timedelta(days=rng.randrange(1, 60))
            outcome = rng.choice(["upheld", "corrected", "other", "pending"])
            decided = None if outcome == "pending" else filed + timedelta(days=rng.randrange(10, 90))
            log("RemedyRecorded", request_id, agency_id, filed, {**base, "remedy_id": remedy_id, "remedy_kind": kind})
            if decided:
                log("RemedyDecided", request_id, agency_id, decided, {**base, "remedy_id": remedy_id, "outcome": outcome})
            remedies.append(
                dict(
                    remedy_id=remedy_id,
                    request_id=request_id,
                    agency_id=agency_id,
                    kind=kind,
                    filed_on=filed,
                    outcome=outcome,
                    decided_on=decided,
                )
            )
    return facts, remedies, entries


async def bulk(engine, table, rows: list[dict]) -> None:
    async with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            await conn.execute(insert(table), rows[i : i + CHUNK])


async def main() -> int:
    url, name = await new_database()
    engine = create_engine(url)
    try:
        await asyncio.to_thread(migrate.upgrade, Path(services.audit.__file__).parent / "migrations", url, "alembic_version_audit")
        county, departments = "county-bench", [f"dept-{i:02d}" for i in range(12)]
        t0 = time.perf_counter()
        facts, remedies, entries = generate(random.Random(2026), departments)
        await bulk(
            engine,
            KnownAgency.__table__,
            [
                {"id": county, "name": "基准县人民政府", "parent_id": None},
                *({"id": d, "name": f"基准县第{i}部门", "parent_id": county} for i, d in enumerate(departments)),
            ],
        )
        await bulk(engine, RequestFact.__table__, facts)
        await bulk(engine, RemedyFact.__table__, remedies)
        await bulk(engine, AuditEntry.__table__, entries)
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
        print(
            f"generated {len(facts):,} requests, {len(remedies):,} remedies, {len(entries):,} audit entries "
            f"in {time.perf_counter() - t0:.1f}s"
        )

        sessions = session_factory(engine)
        report_times, scan_times = [], []
        for _ in range(3):  # best of three for each: a warm cache, as a county's server would have
            async with sessions() as session:
                started = time.perf_counter()
                agencies = await subtree(session, county)
                tables = await annual_report(session, agencies, YEAR)
                report_times.append(time.perf_counter() - started)
            assert not check_table_three(tables["three"])
            async with engine.connect() as conn:
                started = time.perf_counter()
                rows = 0
                result = await conn.stream(select(AuditEntry.__table__).execution_options(yield_per=CHUNK))
                async for partition in result.partitions():
                    rows += len(partition)
                scan_times.append(time.perf_counter() - started)
            assert rows == len(entries)
        report, scan = min(report_times), min(scan_times)
        three = tables["three"]
        print(
            f"annual report {YEAR} (county subtree, {len(agencies)} agencies): {report * 1000:.0f} ms  "
            f"[一 {three['new']['total']:,} 二 {three['carried_in']['total']:,} 三(七) {three['total']['total']:,} "
            f"四 {three['carried_out']['total']:,}]"
        )
        print(f"one read of all {rows:,} audit entries:            {scan * 1000:.0f} ms")
        print(f"ratio report / read:                          {report / scan:.2f}")
        return 0
    finally:
        await engine.dispose()
        await drop_database(name)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
