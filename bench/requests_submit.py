"""Sustained request submissions on PostgreSQL: the requests service next to a bare INSERT endpoint.

Both run as real uvicorn processes against the same PostgreSQL server (a fresh database
each); the requests service also runs its outbox relay against a local broker, as in
production. Closed-loop load from this process: CONCURRENCY clients for DURATION seconds.
Prints throughput and p50/p99 latency for each, and the ratios, measured in this run.

    .venv/bin/python -m bench.requests_submit            # BENCH_POSTGRES_URL, BENCH_SECONDS, BENCH_CONCURRENCY
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid

import asyncpg
import httpx

from services.requests.settings import RequestsSettings
from shared.auth import issue_dev_token
from shared.testing import Broker, ServiceProcess, free_port, service_env

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))


async def new_database(label: str) -> str:
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(ADMIN_URL)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name, name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def replicated_agency(requests_url: str) -> str:
    """An agency as the requests service knows it after catalog's event (written straight into its replica)."""
    agency_id = str(uuid.uuid4())
    conn = await asyncpg.connect(requests_url)
    await conn.execute(
        "INSERT INTO known_agencies (id, name, kind, replicated_at, source_event_id) VALUES ($1, '某某县民政局', 'department', now(), 'bench')",
        agency_id,
    )
    await conn.close()
    return agency_id


def body(agency_id: str) -> dict:
    return {
        "agency_id": agency_id,
        "description": "请公开2025年度城乡低保资金发放情况及其依据文件",
        "applicant": {
            "type": "natural_person",
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "mobile": "13800138000",
            "email": "zhangsan@example.com",
        },
    }


async def load(url: str, headers: dict, payload: dict, *, idempotency: bool) -> tuple[int, list[float], int]:
    """Closed-loop load: returns (completed, latencies in ms, errors)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + SECONDS

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            extra = {"Idempotency-Key": uuid.uuid4().hex} if idempotency else {}
            started = time.perf_counter()
            response = await client.post(url, json=payload, headers={**headers, **extra})
            if response.status_code == 201:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(CONCURRENCY)))
    return len(latencies), latencies, errors


def summary(name: str, completed: int, latencies: list[float], errors: int) -> dict:
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    return {"name": name, "rps": completed / SECONDS, "p50": q[49], "p99": q[98], "errors": errors}


async def main() -> int:
    broker = Broker().start()
    requests_url, requests_db = await new_database("requests")
    bare_url, bare_db = await new_database("bare")
    log_dir = os.environ.get("BENCH_LOG_DIR", "/tmp")
    from pathlib import Path

    service = ServiceProcess(
        "requests",
        service_env("requests", database_url=requests_url, bootstrap=broker.bootstrap, prefix="bench.", log_level="WARNING"),
        log_path=Path(log_dir) / "bench-requests.log",
    )
    bare_port = free_port()
    import subprocess

    bare = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare_insert:app", "--port", str(bare_port), "--log-level", "warning"],
        env={**os.environ, "BARE_DATABASE_URL": bare_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        service.start()
        await service.wait_ready(60)
        agency_id = await replicated_agency(requests_url)
        async with httpx.AsyncClient() as c:
            for _ in range(100):
                try:
                    if (await c.get(f"http://127.0.0.1:{bare_port}/docs")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        token = issue_dev_token(RequestsSettings(), sub="bench-applicant", roles=["applicant"])
        headers = {"Authorization": f"Bearer {token}"}
        payload = body(agency_id)
        print(f"PostgreSQL, {CONCURRENCY} concurrent clients, {SECONDS:.0f} s each, 2 cores", flush=True)
        await load(f"{service.url}/api/v1/requests/requests", headers, payload, idempotency=True)  # warm-up pass (discarded)
        ours = summary(
            "requests service: POST /requests", *await load(f"{service.url}/api/v1/requests/requests", headers, payload, idempotency=True)
        )
        bare_result = summary(
            "bare FastAPI: one INSERT", *await load(f"http://127.0.0.1:{bare_port}/submit", headers, payload, idempotency=False)
        )
        print(f"{'':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for row in (ours, bare_result):
            print(f"{row['name']:38} {row['rps']:8.1f} {row['p50']:8.1f} {row['p99']:8.1f} {row['errors']:7d}")
        print(
            f"ratio (service / bare): throughput {ours['rps'] / bare_result['rps']:.2f}x, "
            f"p50 {ours['p50'] / bare_result['p50']:.2f}x, p99 {ours['p99'] / bare_result['p99']:.2f}x"
        )
        conn = await asyncpg.connect(requests_url)
        stored = await conn.fetchval("SELECT count(*) FROM disclosure_requests")
        unsent = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        await conn.close()
        print(f"stored requests: {stored}; outbox rows still unpublished at the end: {unsent}")
        return 0
    finally:
        service.stop()
        bare.terminate()
        bare.wait(10)
        broker.stop()
        await drop_database(requests_db)
        await drop_database(bare_db)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
