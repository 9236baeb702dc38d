"""The search results page next to the search API it renders, on the same data in one run (issue 14, acceptance 4).

A fresh catalog database (PostgreSQL at BENCH_POSTGRES_URL, as the other benches; or SQLite with
BENCH_SQLITE=1) is filled through the catalog's own API the way officers fill it: each document
drafted, submitted and approved by a different reviewer (jieba segmentation, search vectors,
facet columns), a few thousand of them over three years, twelve agencies, the seeded categories
and topics, a third with a 文号. Then the catalog app and the web app run in this process (the
web app calls the catalog through an in-process transport, as it calls it over HTTP in
production) and the same searches are timed, interleaved, both ways: the API's JSON
(`GET /api/v1/catalog/public/documents`) and the web page that shows it (`GET /search`: the
same API call, then facets, pager and the Jinja template). Target: page p95 ≤ 1.25 × API p95.

    .venv/bin/python -m bench.web_search        # BENCH_POSTGRES_URL, BENCH_WEB_DOCUMENTS (default 3000), BENCH_RUNS (default 200)
    BENCH_SQLITE=1 .venv/bin/python -m bench.web_search
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
from typing import Any

import asyncpg
import httpx

from bench.catalog_search import ACTIONS, GENRES, SENTENCES, TOPICS, db_url, percentile
from services.catalog.app import create_app as create_catalog_app
from services.catalog.settings import CatalogSettings
from services.web.app import create_app as create_web_app
from services.web.settings import WebSettings
from shared.testing import auth, running_app
from shared.validators import credit_code_check_char

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SQLITE = os.environ.get("BENCH_SQLITE") == "1"
DOCUMENTS = int(os.environ.get("BENCH_WEB_DOCUMENTS", "3000"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
CHUNK = 10  # documents drafted together, all published on one day
API = "/api/v1/catalog"


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def credit_code(i: int) -> str:
    first = f"1133010000{3100000 + i:07d}"
    return first + credit_code_check_char(first)


async def load(catalog: httpx.AsyncClient, app: Any, settings: CatalogSettings) -> tuple[list[str], list[str]]:
    """Agencies through the API, then DOCUMENTS documents drafted, submitted and approved; returns (agency ids, 文号)."""
    rng = random.Random(2026)
    root = auth(settings, "admin")
    r = await catalog.post(
        f"{API}/agencies", headers=root, json={"name": "滁山县人民政府", "kind": "county_government", "credit_code": credit_code(0)}
    )
    agencies = [r.json()["id"]]
    for i in range(1, 12):
        r = await catalog.post(
            f"{API}/agencies",
            headers=root,
            json={
                "name": f"滁山县第{i}{'局' if i < 9 else '镇人民政府'}",
                "kind": "department" if i < 9 else "township",
                "parent_id": agencies[0],
                "credit_code": credit_code(i),
            },
        )
        assert r.status_code == 201, r.text
        agencies.append(r.json()["id"])
    numbers: list[str] = []
    start, days = date.today() - timedelta(days=3 * 365), 3 * 365
    t0 = time.perf_counter()

    async def publish(i: int, made_on: date) -> None:
        agency = agencies[i % len(agencies)]
        topic = list(TOPICS)[i % len(TOPICS)]
        phrase = rng.choice(TOPICS[topic])
        category = list(GENRES)[(i // len(TOPICS)) % len(GENRES)]
        body = (
            "\n".join(rng.choice(SENTENCES) for _ in range(8))
            + f"\n{phrase}。同时做好{rng.choice(TOPICS[rng.choice(list(TOPICS))])}相关工作。"
        )
        doc = {
            "agency_id": agency,
            "title": f"{rng.choice(ACTIONS)}{phrase}工作的{GENRES[category]}",
            "summary": f"{phrase}有关事项。",
            "body": body,
            "category_code": category,
            "topic_code": topic,
            "keywords": [phrase],
            "made_on": made_on.isoformat(),
        }
        if i % 3 == 0:
            doc["doc_number"] = f"滁{agencies.index(agency)}办〔{made_on.year}〕{i + 1}号"
            numbers.append(doc["doc_number"])
        drafter = auth(settings, "handler", agency_id=agency, sub=f"drafter-{agency}")
        r = await catalog.post(f"{API}/documents", headers=drafter, json=doc)
        assert r.status_code == 201, r.text
        doc_id = r.json()["id"]
        assert (await catalog.post(f"{API}/documents/{doc_id}/submit", headers=drafter)).status_code == 200
        reviewer = auth(settings, "reviewer", agency_id=agency, sub=f"reviewer-{agency}")
        assert (await catalog.post(f"{API}/documents/{doc_id}/approve", headers=reviewer)).status_code == 200

    for first in range(0, DOCUMENTS, CHUNK):
        made_on = start + timedelta(days=days * first // DOCUMENTS)
        app.state.today = lambda d=made_on + timedelta(days=first % 7): d  # published within days of being made
        await asyncio.gather(*(publish(i, made_on) for i in range(first, min(DOCUMENTS, first + CHUNK))))
        if (first // CHUNK) % 50 == 0:
            print(f"  published {min(DOCUMENTS, first + CHUNK):,} / {DOCUMENTS:,} ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"published {DOCUMENTS:,} documents through the API in {time.perf_counter() - t0:.0f} s")
    return agencies, numbers


def queries(agencies: list[str], numbers: list[str]) -> list[tuple[str, list[dict[str, Any]]]]:
    words = ["低保", "乡村振兴", "公租房", "就业补贴", "环境保护", "义务教育", "政府采购", "高标准农田"]
    year = date.today().year - 1
    return [
        ("a common word (facets)", [{"q": w} for w in words]),
        ("two words", [{"q": f"{w} 通知"} for w in words]),
        ("word + agency + year", [{"q": w, "agency_id": agencies[i % 4], "year": year} for i, w in enumerate(words)]),
        (
            "a 文号 (brackets as typed)",
            [{"wh": n.replace("〔", "[").replace("〕", "]")} for n in numbers[:: max(1, len(numbers) // 8)][:8]],
        ),
        ("filter-only, page 3", [{"category": c, "page": 3} for c in ("regulatory", "finance", "plan", "normative_document")]),
    ]


def api_params(page: dict[str, Any]) -> dict[str, Any]:
    """The same search as the API sees it (what services/web/listing.py sends)."""
    params = {k: v for k, v in page.items() if k not in ("wh", "year")} | {"size": 20}
    if "wh" in page:
        params["q"] = page["wh"]
    if "year" in page:
        params["from"], params["to"] = f"{page['year']}-01-01", f"{page['year']}-12-31"
    return params


async def measure(catalog: httpx.AsyncClient, web: httpx.AsyncClient, agencies: list[str], numbers: list[str]) -> list[tuple]:
    rows = []
    for label, variants in queries(agencies, numbers):
        api_ms, page_ms = [], []
        for i in range(RUNS + 5):
            page = variants[i % len(variants)]
            t0 = time.perf_counter()
            r = await catalog.get(f"{API}/public/documents", params=api_params(page))
            t1 = time.perf_counter()
            p = await web.get("/search", params=page)
            t2 = time.perf_counter()
            assert r.status_code == 200 and p.status_code == 200, (r.text, p.text[:500])
            assert bool(r.json()["items"]) == ("result-title" in p.text), page
            if i >= 5:  # warm-up: caches, connection pools
                api_ms.append((t1 - t0) * 1000)
                page_ms.append((t2 - t1) * 1000)
        total = r.json()["total"]
        rows.append((label, api_ms, page_ms, total))
    return rows


async def run(database_url: str, storage: str) -> int:
    settings = CatalogSettings(
        database_url=database_url,
        run_workers=False,
        run_consumers=False,
        run_scheduler=False,
        kafka_bootstrap_servers="127.0.0.1:1",
        storage_dir=storage,
        log_level="WARNING",
    )
    catalog_app = create_catalog_app(settings)
    async with running_app(catalog_app) as catalog:
        agencies, numbers = await load(catalog, catalog_app, settings)
        web_settings = WebSettings(catalog_url="http://catalog.bench", log_level="WARNING")
        web_app = create_web_app(web_settings, transport=httpx.ASGITransport(app=catalog_app))
        async with running_app(web_app) as web:
            rows = await measure(catalog, web, agencies, numbers)
    kind = "SQLite" if SQLITE else "PostgreSQL"
    print(
        f"\nthe search results page next to the search API, {DOCUMENTS:,} documents ({kind}, both in process, {RUNS} runs each, interleaved)"
    )
    print(f"{'query':28} {'hits':>6} {'API p50':>8} {'API p95':>8} {'page p50':>9} {'page p95':>9} {'ratio p95':>10}")
    all_api, all_page = [], []
    for label, api_ms, page_ms, total in rows:
        all_api += api_ms
        all_page += page_ms
        print(
            f"{label:28} {total:6} {percentile(api_ms, 50):8.1f} {percentile(api_ms, 95):8.1f} {percentile(page_ms, 50):9.1f}"
            f" {percentile(page_ms, 95):9.1f} {percentile(page_ms, 95) / percentile(api_ms, 95):10.3f}"
        )
    ratio = percentile(all_page, 95) / percentile(all_api, 95)
    print(
        f"{'all queries':28} {'':6} {percentile(all_api, 50):8.1f} {percentile(all_api, 95):8.1f} {percentile(all_page, 50):9.1f}"
        f" {percentile(all_page, 95):9.1f} {ratio:10.3f}"
    )
    print(
        f"search page p95 / search API p95: {ratio:.3f}× (target ≤ 1.25×); the page adds "
        f"{percentile(all_page, 50) - percentile(all_api, 50):.1f} ms at p50"
    )
    return 0


async def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        if SQLITE:
            return await run(f"sqlite+aiosqlite:///{Path(tmp) / 'catalog.db'}", str(Path(tmp) / "files"))
        name = f"bench_web_{uuid.uuid4().hex[:8]}"
        await admin(f'CREATE DATABASE "{name}"')
        try:
            return await run(db_url(name), str(Path(tmp) / "files"))
        finally:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
