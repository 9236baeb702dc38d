"""Event latency across processes, in the production layout, next to the broker's own round trip.

The requests API runs with RUN_WORKERS=false and its relay in a separate `worker` process (as in
deploy/), the audit service in its own process; all on PostgreSQL with a local broker. At RATE
submissions a second for SECONDS (independent arrivals, see bench.notify_latency.arrivals), each
submission's latency is from the request being stored
(requests.submitted_at, in the API process's transaction) to its RequestSubmitted entry being
stored in the audit log (audit_entries.recorded_at, in another process, after the worker's relay
and the broker). The relay is woken by PostgreSQL NOTIFY on commit (polling every 0.5 s stays the
fallback). In the same run: the broker's round trip (produce acks=all, consume in a group), at the
same rate and with the services' fetch setting. With the development broker that round trip is
mostly the consumer's fetch wait (tansu answers an empty fetch at fetch_max_wait_ms, not when data
arrives), and so is a share of the services' figure; Apache Kafka answers as soon as data arrives.

    .venv/bin/python -m bench.event_latency          # BENCH_POSTGRES_URL, BENCH_SECONDS (20), BENCH_RATE (50),
                                                     # BENCH_FETCH_MAX_WAIT_MS (the services' default)
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.notify_latency import arrivals, broker_round_trip, quantiles
from bench.requests_submit import body, drop_database, new_database, replicated_agency
from services.requests.settings import RequestsSettings
from shared.auth import issue_dev_token
from shared.testing import Broker, ServiceProcess, service_env

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
RATE = float(os.environ.get("BENCH_RATE", "50"))
FETCH_MAX_WAIT_MS = int(os.environ.get("BENCH_FETCH_MAX_WAIT_MS", "0")) or None  # None: the services' default
TARGET_P50_MS, TARGET_P99_MS = 50.0, 200.0


async def watch(audit_url: str, seen: dict[str, datetime]) -> None:
    """Note when each RequestSubmitted entry is first visible to another connection (committed).

    Appenders hold the chain's lock until they commit, so entries become visible in `seq` order."""
    conn = await asyncpg.connect(audit_url)
    after = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_entries")
    try:
        while True:
            rows = await conn.fetch("SELECT seq, aggregate_id, event_type FROM audit_entries WHERE seq > $1 ORDER BY seq", after)
            now = datetime.now(UTC)
            for row in rows:
                if row["event_type"] == "RequestSubmitted":
                    seen.setdefault(row["aggregate_id"], now)
                after = row["seq"]
            await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def main() -> int:
    broker = Broker().start()
    req_url, req_db = await new_database("req")
    audit_url, audit_db = await new_database("aud")
    log_dir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp"))
    prefix = f"bench{uuid.uuid4().hex[:4]}."
    common = {"log_level": os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "outbox_poll_interval": "0.5"}
    if FETCH_MAX_WAIT_MS:  # the services' and the baseline's fetch wait, to see what it costs on this broker
        common["kafka_fetch_max_wait_ms"] = str(FETCH_MAX_WAIT_MS)
    req_env = service_env("requests", database_url=req_url, bootstrap=broker.bootstrap, prefix=prefix, run_workers="false", **common)
    api = ServiceProcess("requests", req_env, log_path=log_dir / "bench-latency-api.log")
    worker = ServiceProcess("requests", req_env, log_path=log_dir / "bench-latency-worker.log")
    audit = ServiceProcess(
        "audit",
        service_env("audit", database_url=audit_url, bootstrap=broker.bootstrap, prefix=prefix, **common),
        log_path=log_dir / "bench-latency-audit.log",
    )
    try:
        api.start()
        await api.wait_ready(90)  # migrates the database first; the worker then finds it ready
        worker.start(command="worker")
        audit.start()
        await audit.wait_ready(90)
        agency = await replicated_agency(req_url)
        token = issue_dev_token(RequestsSettings(), sub="bench-applicant", roles=["applicant"])
        ids: list[str] = []
        aud = await asyncpg.connect(audit_url)

        async def entries(request_ids: list[str]) -> dict[str, object]:
            rows = await aud.fetch(
                "SELECT aggregate_id, min(recorded_at) AS at FROM audit_entries WHERE event_type = 'RequestSubmitted' "
                "AND aggregate_id = ANY($1::text[]) GROUP BY aggregate_id",
                request_ids,
            )
            return {r["aggregate_id"]: r["at"] for r in rows}

        async with httpx.AsyncClient(timeout=30) as client:

            async def submit() -> None:
                r = await client.post(
                    f"{api.url}/api/v1/requests/requests",
                    json=body(agency),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                )
                if r.status_code == 201:
                    ids.append(r.json()["id"])

            # Warm-up until an entry arrives: the worker's relay and audit's consumer group have formed.
            deadline = time.monotonic() + 120
            while True:
                await submit()
                await asyncio.sleep(1)
                if await entries(ids) or time.monotonic() > deadline:
                    break
            ids.clear()
            # A second view of "stored": when each entry is first seen committed, by a connection that
            # looks every 10 ms (recorded_at is taken as the entry is built, before its transaction
            # commits, and the consumer commits a fetched batch in one transaction).
            seen: dict[str, datetime] = {}
            watching = asyncio.create_task(watch(audit_url, seen))
            pending = []
            started = time.perf_counter()
            for _, at in zip(range(int(SECONDS * RATE)), arrivals(RATE), strict=False):
                await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
                pending.append(asyncio.create_task(submit()))
            await asyncio.gather(*pending)
        deadline = time.monotonic() + 120
        found: dict[str, object] = {}
        while time.monotonic() < deadline and len(found) < len(ids):
            found = await entries(ids)
            await asyncio.sleep(0.5)
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
        await aud.close()
        req = await asyncpg.connect(req_url)
        submitted = dict(await req.fetch("SELECT id, submitted_at FROM disclosure_requests WHERE id = ANY($1::text[])", ids))
        outbox = {
            r["key"]: r
            for r in await req.fetch(
                "SELECT key, min(created_at) AS created, min(published_at) AS published FROM outbox "
                "WHERE event_type = 'RequestSubmitted' AND key = ANY($1::text[]) GROUP BY key",
                ids,
            )
        }
        written = {k: r["created"] for k, r in outbox.items()}
        published = {k: r["published"] for k, r in outbox.items()}
        await req.close()
        latencies = [(found[i] - submitted[i]).total_seconds() * 1000 for i in ids if i in found]  # type: ignore[operator]
        relayed = [(published[i] - submitted[i]).total_seconds() * 1000 for i in ids if published.get(i)]
        # The API's own transaction: the request row's timestamp is taken at its INSERT, the outbox
        # row's when the unit of work commits (the NOTIFY that wakes the relay goes out at that commit).
        in_api = [(written[i] - submitted[i]).total_seconds() * 1000 for i in ids if written.get(i)]
        to_relay = [(published[i] - written[i]).total_seconds() * 1000 for i in ids if published.get(i)]
        consumed = [(found[i] - published[i]).total_seconds() * 1000 for i in ids if i in found and published.get(i)]  # type: ignore[operator]
        visible = [(seen[i] - submitted[i]).total_seconds() * 1000 for i in ids if i in seen]
        rtt = await broker_round_trip(broker.bootstrap, min(300, int(SECONDS * RATE)), RATE, FETCH_MAX_WAIT_MS)
        e50, e99 = quantiles(latencies)
        b50, b99 = quantiles(rtt)
        print(f"production layout (API, worker, audit in three processes): {RATE:.0f} submissions/s for {SECONDS:.0f} s on PostgreSQL")
        if FETCH_MAX_WAIT_MS:
            print(f"fetch_max_wait_ms {FETCH_MAX_WAIT_MS} (services and baseline)")
        print(f"{len(latencies)}/{len(ids)} audit entries stored")
        print(f"{'':52} {'p50 ms':>8} {'p99 ms':>8}")
        print(f"{'submission stored → audit entry stored':52} {e50:8.1f} {e99:8.1f}")
        if relayed and consumed:
            r50, r99 = quantiles(relayed)
            c50, c99 = quantiles(consumed)
            print(f"{'  of which: stored → published by the worker relay':52} {r50:8.1f} {r99:8.1f}")
            a50, a99 = quantiles(in_api)
            w50, w99 = quantiles(to_relay)
            print(f"{'    stored → outbox written (the API transaction)':52} {a50:8.1f} {a99:8.1f}")
            print(f"{'    outbox written → published (NOTIFY, relay)':52} {w50:8.1f} {w99:8.1f}")
            print(f"{'  of which: published → audit entry stored':52} {c50:8.1f} {c99:8.1f}")
        if visible:
            v50, v99 = quantiles(visible)
            print(f"{'submission stored → audit entry seen committed':52} {v50:8.1f} {v99:8.1f}   (looked for every 10 ms)")
        print(f"{'broker round trip (produce acks=all → consume)':52} {b50:8.1f} {b99:8.1f}")
        print(f"ratio end-to-end / broker: p50 {e50 / b50:.1f}x, p99 {e99 / b99:.1f}x")
        verdict = "within" if e50 < TARGET_P50_MS and e99 < TARGET_P99_MS else "OUTSIDE"
        print(f"targets p50 < {TARGET_P50_MS:.0f} ms, p99 < {TARGET_P99_MS:.0f} ms: {verdict}")
        return 0
    finally:
        for proc in (api, worker, audit):
            proc.stop()
        broker.stop()
        await drop_database(req_db)
        await drop_database(audit_db)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
