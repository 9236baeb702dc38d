"""The workbench's queue page with 5,000 open requests, next to the queue API it renders, in one run (issue 15, acceptance 4).

A fresh requests database (PostgreSQL at BENCH_POSTGRES_URL, as the other benches; or SQLite with
BENCH_SQLITE=1), migrated as the service migrates it. The county's agency tree and its officers
reach it as catalog's and identity's events would (the replicas' own handlers); the requests are
submitted through the requests API itself (intake, tracking numbers, due dates), then spread over
the states, assignees and due dates of a working office (assigned, some overdue, some due within
days). The requests app and the web app run in this process (the web app calls the API through an
in-process transport, as it calls it over HTTP in production) and the first page of the queue, default
sort (by due date), is timed both ways, interleaved: the API's JSON (`GET /api/v1/requests/queue`)
and the page that shows it (`GET /office/requests`: that call plus the assignee and agency lists,
together, and the template), for the county's head, who sees all 5,000. Target: page p95 < 300 ms.

    .venv/bin/python -m bench.web_office_queue     # BENCH_POSTGRES_URL, BENCH_QUEUE_REQUESTS (default 5000), BENCH_RUNS (default 200)
    BENCH_SQLITE=1 .venv/bin/python -m bench.web_office_queue
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import bindparam, update
from starlette.responses import Response

from bench.catalog_search import db_url, percentile
from services.requests.adapters.orm import DisclosureRequest
from services.requests.app import create_app as create_requests_app
from services.requests.service.agency_replica import on_agency_registered
from services.requests.service.officer_replica import on_officer_changed
from services.requests.settings import RequestsSettings
from services.web.app import create_app as create_web_app
from services.web.session import Session
from services.web.settings import WebSettings
from shared.contracts.catalog import AgencyRegistered
from shared.contracts.identity import OfficerChanged, OfficerMembership
from shared.events import Actor
from shared.testing import running_app, token

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SQLITE = os.environ.get("BENCH_SQLITE") == "1"
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "5000"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
API = "/api/v1/requests"
CONCURRENCY = 8


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def directory(runtime) -> tuple[str, list[str], list[str]]:
    """The county and its departments, and two handlers in each, as the replicas receive them."""
    county = str(uuid.uuid4())
    agencies = [county] + [str(uuid.uuid4()) for _ in range(11)]
    handlers: list[str] = []
    async with runtime.uow() as uow:
        for i, agency in enumerate(agencies):
            event = AgencyRegistered(
                agency_id=agency,
                name="滁山县人民政府" if i == 0 else f"滁山县第{i}局",
                kind="county_government" if i == 0 else "department",
                parent_id=None if i == 0 else county,
            )
            await on_agency_registered(uow, event.envelope(source="catalog", aggregate_id=agency, actor=Actor.system("bench")))
        for i, agency in enumerate(agencies[1:]):
            for j in range(2):
                sub = str(uuid.uuid4())
                handlers.append(sub)
                event = OfficerChanged(
                    officer_id=sub,
                    name=f"承办人{i}{j}",
                    status="active",
                    version=1,
                    memberships=[OfficerMembership(agency_id=agency, roles=["handler"])],
                )
                await on_officer_changed(uow, event.envelope(source="identity", aggregate_id=sub, actor=Actor.system("bench")))
        await uow.commit()
    return county, agencies[1:], handlers


def application(rng: random.Random, agency: str, i: int) -> dict:
    topics = [
        "城乡低保资金发放情况",
        "土地征收补偿安置方案",
        "农村危房改造补助名单",
        "政府采购合同",
        "河道整治工程招标文件",
        "义务教育学校划片方案",
    ]
    return {
        "agency_id": agency,
        "applicant": {
            "type": "natural_person",
            "name": rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(["伟", "芳", "娜", "敏", "静", "强", "磊"]),
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "mobile": f"138{i:08d}",
        },
        "description": f"请公开本县2025年度{rng.choice(topics)}（第{i}号）",
        "preferred_form": "electronic",
    }


async def load(client: httpx.AsyncClient, settings: RequestsSettings, app, agencies: list[str], handlers: list[str]) -> None:
    """REQUESTS requests through the API, then spread over a working office's states and due dates."""
    rng = random.Random(2026)
    ids: list[str] = []
    t0 = time.perf_counter()
    queue = list(range(REQUESTS))

    async def worker() -> None:
        while queue:
            i = queue.pop()
            headers = {"Authorization": f"Bearer {token(settings, 'applicant', sub=f'citizen-{i}')}"}
            r = await client.post(f"{API}/requests", json=application(rng, agencies[i % len(agencies)], i), headers=headers)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            if len(ids) % 1000 == 0:
                print(f"  submitted {len(ids):,} / {REQUESTS:,} ({time.perf_counter() - t0:.0f} s)", flush=True)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    print(f"submitted {REQUESTS:,} requests through the API in {time.perf_counter() - t0:.0f} s")
    today = date.today()
    rows = []
    for n, rid in enumerate(ids):
        kind = n % 10  # 6 in 10 assigned and in progress, 1 under review, 3 still waiting to be assigned
        rows.append(
            {
                "rid": rid,
                "state": "in_progress" if kind < 6 else ("under_review" if kind == 6 else "received"),
                "assignee": handlers[n % len(handlers)] if kind < 7 else None,
                "due": today + timedelta(days=rng.randint(-10, 40)),  # some overdue, some due within days, most later
            }
        )
    statement = (
        update(DisclosureRequest.__table__)
        .where(DisclosureRequest.__table__.c.id == bindparam("rid"))
        .values(state=bindparam("state"), assignee_sub=bindparam("assignee"), due_on=bindparam("due"))
    )
    async with app.state.runtime.engine.begin() as conn:
        await conn.execute(statement, rows)


def officer_cookie(web_app, settings: RequestsSettings, county: str) -> dict[str, str]:
    """The county head's workbench session, sealed as the site seals it (the tokens identity would have issued)."""
    s = Session(
        access_token=token(settings, "head", agency_id=county, sub="head-bench"),
        refresh_token="bench-not-used",
        access_expires_at=time.time() + 24 * 3600,
        sub="head-bench",
        name="县负责人",
        kind="officer",
        roles=["head"],
        agency_id=county,
    )
    sealed = Response()
    web_app.state.codec.save(s, sealed)
    name, _, rest = sealed.headers["set-cookie"].partition("=")
    return {name: rest.split(";", 1)[0]}


async def measure(api: httpx.AsyncClient, web: httpx.AsyncClient, headers: dict, cookies: dict) -> tuple[list[float], list[float], int]:
    api_ms, page_ms = [], []
    total = 0
    for i in range(RUNS + 5):
        t0 = time.perf_counter()
        r = await api.get(f"{API}/queue", params={"page": 1, "page_size": 20, "sort": "due_on"}, headers=headers)
        t1 = time.perf_counter()
        p = await web.get("/office/requests", cookies=cookies)
        t2 = time.perf_counter()
        assert r.status_code == 200 and p.status_code == 200, (r.text[:300], p.text[:500])
        total = r.json()["total"]
        assert r.json()["items"][0]["tracking_number"] in p.text
        if i >= 5:  # warm-up: caches, connection pools
            api_ms.append((t1 - t0) * 1000)
            page_ms.append((t2 - t1) * 1000)
    return api_ms, page_ms, total


async def run(database_url: str, storage: str) -> int:
    settings = RequestsSettings(
        database_url=database_url,
        run_workers=False,
        run_consumers=False,
        run_scheduler=False,
        kafka_bootstrap_servers="127.0.0.1:1",
        storage_dir=storage,
        log_level="WARNING",
    )
    requests_app = create_requests_app(settings)
    async with running_app(requests_app) as api:
        county, agencies, handlers = await directory(requests_app.state.runtime)
        await load(api, settings, requests_app, agencies, handlers)
        web_app = create_web_app(
            WebSettings(requests_url="http://requests.bench", log_level="WARNING"), transport=httpx.ASGITransport(app=requests_app)
        )
        async with running_app(web_app) as web:
            headers = {"Authorization": f"Bearer {token(settings, 'head', agency_id=county, sub='head-bench')}"}
            api_ms, page_ms, total = await measure(api, web, headers, officer_cookie(web_app, settings, county))
    kind = "SQLite" if SQLITE else "PostgreSQL"
    print(
        f"\nthe workbench queue page next to the queue API: {total:,} open requests ({kind}, both in process, {RUNS} runs each, interleaved)"
    )
    print(f"{'':22} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'queue API (JSON)':22} {percentile(api_ms, 50):8.1f} {percentile(api_ms, 95):8.1f}")
    print(f"{'queue page (HTML)':22} {percentile(page_ms, 50):8.1f} {percentile(page_ms, 95):8.1f}")
    print(
        f"page / API: p50 {percentile(page_ms, 50) / percentile(api_ms, 50):.2f}×, p95 {percentile(page_ms, 95) / percentile(api_ms, 95):.2f}×; "
        f"page p95 {percentile(page_ms, 95):.0f} ms (target < 300 ms server time)"
    )
    return 0


async def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        if SQLITE:
            return await run(f"sqlite+aiosqlite:///{Path(tmp) / 'requests.db'}", str(Path(tmp) / "files"))
        name = f"bench_queue_{uuid.uuid4().hex[:8]}"
        await admin(f'CREATE DATABASE "{name}"')
        try:
            return await run(db_url(name), str(Path(tmp) / "files"))
        finally:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
