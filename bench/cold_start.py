"""First use after a start: the first publish and the first search of a freshly started catalog process.

The Chinese segmenter's dictionary (jieba) takes a second or more to load. It is loaded at start,
before /readyz says ready, so the first request that indexes (a publish) or segments a query (a
search) should cost what any later one does. Each is measured as the first request after /readyz
said ready, in a new process each time (PostgreSQL, a local broker), next to /healthz of the same
process and to the same request done again warm.

    .venv/bin/python -m bench.cold_start          # BENCH_POSTGRES_URL
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import httpx

from bench.requests_submit import drop_database, new_database
from services.catalog.settings import CatalogSettings
from shared.auth import issue_dev_token
from shared.testing import Broker, ServiceProcess, service_env

TARGET_MS = 200.0
API = "/api/v1/catalog"


def _who(role: str, agency: str | None = None, sub: str | None = None) -> dict[str, str]:
    token = issue_dev_token(CatalogSettings(), sub=sub or f"bench-{role}", roles=[role], agency_id=agency)
    return {"Authorization": f"Bearer {token}"}


async def _timed(client: httpx.AsyncClient, method: str, url: str, **kwargs: object) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    resp = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    return (time.perf_counter() - started) * 1000, resp


async def main() -> int:
    broker = Broker().start()
    url, db = await new_database("cold")
    log_dir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp"))
    env = service_env("catalog", database_url=url, bootstrap=broker.bootstrap, prefix=f"bench{uuid.uuid4().hex[:4]}.", log_level="WARNING")
    rows: list[tuple[str, float, float, float]] = []
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            # Process 1: set up an agency and a document waiting for review, then stop (nothing warm survives).
            proc = ServiceProcess("catalog", env, log_path=log_dir / "bench-cold-catalog.log").start()
            await proc.wait_ready(90)
            resp = await client.post(
                f"{proc.url}{API}/agencies",
                json={"name": "某某县民政局", "kind": "department", "credit_code": "11330102MB1234567B"},
                headers=_who("admin"),
            )
            agency = resp.json()["id"]
            docs = []
            for n in range(2):
                body = {
                    "agency_id": agency,
                    "title": f"某某县民政局关于调整城乡最低生活保障标准的通知（第{n + 1}号）",
                    "body": "各乡镇人民政府：经县人民政府同意，现将城乡居民最低生活保障标准调整如下。",
                    "category_code": "normative_document",
                    "made_on": "2026-11-02",
                }
                resp = await client.post(f"{proc.url}{API}/documents", json=body, headers=_who("handler", agency))
                assert resp.status_code == 201, resp.text
                d = resp.json()
                await client.post(f"{proc.url}{API}/documents/{d['id']}/submit", headers=_who("handler", agency))
                docs.append(d["id"])
            proc.stop()

            # Process 2: the first publish after the start, then a second one warm.
            proc = ServiceProcess("catalog", env, log_path=log_dir / "bench-cold-catalog.log").start()
            await proc.wait_ready(90)
            health, _ = await _timed(client, "GET", f"{proc.url}/healthz")
            first, r1 = await _timed(client, "POST", f"{proc.url}{API}/documents/{docs[0]}/approve", headers=_who("reviewer", agency))
            warm, r2 = await _timed(client, "POST", f"{proc.url}{API}/documents/{docs[1]}/approve", headers=_who("reviewer", agency))
            assert r1.status_code == 200 and r2.status_code == 200, (r1.text, r2.text)
            rows.append(("first publish after start", first, warm, health))
            proc.stop()

            # Process 3: the first search after the start, then the same search warm.
            proc = ServiceProcess("catalog", env, log_path=log_dir / "bench-cold-catalog.log").start()
            await proc.wait_ready(90)
            health, _ = await _timed(client, "GET", f"{proc.url}/healthz")
            first, r1 = await _timed(client, "GET", f"{proc.url}{API}/public/documents", params={"q": "最低生活保障标准"})
            warm, r2 = await _timed(client, "GET", f"{proc.url}{API}/public/documents", params={"q": "最低生活保障标准"})
            assert r1.status_code == 200 and r1.json()["total"] >= 1, r1.text
            rows.append(("first search after start", first, warm, health))
            proc.stop()
        print(f"{'':30} {'first ms':>9} {'warm ms':>9} {'/healthz ms':>12}")
        for label, first, warm, health in rows:
            print(f"{label:30} {first:9.1f} {warm:9.1f} {health:12.1f}")
        verdict = "within" if all(first < TARGET_MS for _, first, _, _ in rows) else "OUTSIDE"
        print(f"target: each first request under {TARGET_MS:.0f} ms: {verdict}")
        return 0
    finally:
        broker.stop()
        await drop_database(db)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
