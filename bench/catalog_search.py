"""Public catalog search at county scale: 2.4 million documents in PostgreSQL.

Chuzhou alone published over 2.4 million items in ten years (seed 001). This loads that many
synthetic catalog entries into a fresh database migrated as the catalog service migrates it,
then measures, through the catalog's own HTTP API (in process), the latency of typical
public searches — a word, a 文号, a filter-only listing — each with its facet counts, next to
the plain SQL a naive site would run (``ILIKE '%word%'`` over title and body, then a count),
on the same data in the same run. Finally it publishes documents through the API (draft,
submit, approve: jieba segmentation, index update, outbox) to measure the publish rate.

How the corpus is made: 4,000 distinct synthetic documents are written from county-work
sentences and segmented with the catalog's own code (domain/search.py); the 2.4 million rows
reuse them with their own agency, dates, category, 文号, index number and one of 2,100
village names each (a rarer word), generated inside PostgreSQL so loading takes minutes.

    .venv/bin/python -m bench.catalog_search        # BENCH_POSTGRES_URL, BENCH_DOCUMENTS (default 2400000)
    BENCH_KEEP=1 ...                               # keep the loaded database (its name is printed)
    BENCH_CATALOG_DB=<name> ...                    # measure again on a database an earlier run kept
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import asyncpg

import services.catalog
from services.catalog.app import create_app
from services.catalog.domain.search import Fields, terms, tsvector_from_terms, tsvector_literal
from services.catalog.settings import CatalogSettings
from shared import migrate
from shared.testing import auth, running_app

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", "2400000"))
REUSE = os.environ.get("BENCH_CATALOG_DB")
KEEP = os.environ.get("BENCH_KEEP") == "1"
POOL, VILLAGES, BATCH = 4000, 2100, 200_000  # 15 × 20 × 7 village names
RUNS, BASELINE_RUNS = 60, 4

TOPICS = {
    "social_assistance": ("城乡低保", "特困人员供养", "临时救助", "低保资金", "最低生活保障标准"),
    "employment": ("就业补贴", "创业担保贷款", "职业技能培训", "公益性岗位", "稳岗返还"),
    "housing_security": ("公租房", "保障性住房", "棚户区改造", "住房租赁补贴", "老旧小区改造"),
    "environment": ("环境保护", "大气污染防治", "河长制", "生态环境监测", "污水处理"),
    "education_health": ("义务教育", "学前教育资助", "基本医疗保险", "家庭医生签约", "疫苗接种"),
    "rural_revitalization": ("乡村振兴", "高标准农田", "脱贫攻坚成果", "农村人居环境", "特色产业"),
    "major_projects": ("重大建设项目", "道路改扩建工程", "水利工程", "产业园区建设", "项目批准"),
    "public_resources": ("公共资源交易", "政府采购", "工程招标", "中标结果", "土地出让"),
}
GENRES = {
    "normative_document": "通知",
    "plan": "规划",
    "budget": "预算公开",
    "administrative_license": "行政许可决定",
    "administrative_penalty": "行政处罚决定",
    "work_update": "工作动态",
    "other_document": "意见",
    "personnel": "任免通知",
}
ACTIONS = ("关于进一步做好", "关于印发", "关于调整", "关于开展", "关于公布", "关于加强")
SENTENCES = (
    "各乡镇人民政府、街道办事处，县直有关部门：",
    "现将有关事项通知如下。",
    "请结合实际认真贯彻落实。",
    "按照县委、县政府的统一部署，",
    "切实保障困难群众基本生活，",
    "资金由县级财政统筹安排，",
    "各地要加强组织领导，明确责任分工，",
    "严格执行公示制度，接受社会监督。",
    "本通知自印发之日起施行。",
    "对工作中发现的问题及时整改。",
    "确保政策落实到位、群众得到实惠。",
    "申请人应当如实提供家庭收入和财产情况。",
    "审核审批结果在村（居）务公开栏公示7天。",
    "联系电话：0550-1234567。",
)
VILLAGE_A = "东西南北上下前后大小新老高低长"
VILLAGE_B = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
VILLAGE_C = "庄集圩岗湾塘桥"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def db_url(name: str, driver: str = "postgresql+asyncpg") -> str:
    return ADMIN_URL.replace("postgresql://", f"{driver}://", 1).rsplit("/", 1)[0] + "/" + name


def synthetic_pool(rng: random.Random) -> list[tuple]:
    rows = []
    categories = list(GENRES)
    for i in range(POOL):
        topic = list(TOPICS)[i % len(TOPICS)]
        phrase = rng.choice(TOPICS[topic])
        category = categories[(i // len(TOPICS)) % len(categories)]
        title = f"{rng.choice(ACTIONS)}{phrase}工作的{GENRES[category]}"
        body = "".join(rng.choice(SENTENCES) for _ in range(6)) + f"{phrase}。" + "".join(rng.choice(SENTENCES) for _ in range(6))
        other = rng.choice(TOPICS[rng.choice(list(TOPICS))])
        body += f"同时做好{other}相关工作。"
        summary = f"{phrase}有关事项。"
        fields = Fields(title=title, summary=summary, body=body, keywords=[phrase])
        rows.append((i, title, summary, body, tsvector_literal(fields), tsvector_literal(fields, title_only=True), category, topic, phrase))
    return rows


def villages() -> list[tuple[int, str, str]]:
    names = [f"{a}{b}{c}村" for a in VILLAGE_A for b in VILLAGE_B for c in VILLAGE_C][:VILLAGES]
    # Positions after the pooled text: tsvector concatenation shifts them anyway.
    return [(i, name, tsvector_from_terms([("D", terms(name))])) for i, name in enumerate(names)]


async def load(name: str) -> None:
    url = db_url(name)
    await asyncio.to_thread(migrate.upgrade, Path(services.catalog.__file__).parent / "migrations", url, "alembic_version_catalog")
    conn = await asyncpg.connect(db_url(name, "postgresql"))
    try:
        rng = random.Random(2026)
        agencies = [(str(uuid.uuid4()), "滁山县人民政府", "county_government", None, "11341100003000001X")]
        for i in range(42):
            kind = "department" if i < 30 else "township"
            agencies.append(
                (
                    str(uuid.uuid4()),
                    f"滁山县第{i + 1}{'局' if kind == 'department' else '镇人民政府'}",
                    kind,
                    agencies[0][0],
                    f"1134110000{3000002 + i:07d}X",
                )
            )
        await conn.executemany(
            "INSERT INTO agencies (id, name, kind, parent_id, credit_code, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, now(), now())",
            agencies,
        )
        t0 = time.perf_counter()
        pool = synthetic_pool(rng)
        await conn.execute(
            "CREATE TEMP TABLE bench_pool (i int PRIMARY KEY, title text, summary text, body text, vec tsvector, "
            "tvec tsvector, category_code text, topic_code text, phrase text)"
        )
        await conn.executemany("INSERT INTO bench_pool VALUES ($1, $2, $3, $4, $5::tsvector, $6::tsvector, $7, $8, $9)", pool)
        await conn.execute("CREATE TEMP TABLE bench_village (i int PRIMARY KEY, name text, vec tsvector)")
        await conn.executemany("INSERT INTO bench_village VALUES ($1, $2, $3::tsvector)", villages())
        await conn.execute(
            "CREATE TEMP TABLE bench_agency AS SELECT row_number() OVER (ORDER BY name) - 1 AS i, id, credit_code, "
            "substr(name, 4, 3) AS prefix FROM agencies"
        )
        print(f"segmented {POOL:,} synthetic documents and {VILLAGES:,} village names with jieba in {time.perf_counter() - t0:.1f} s")
        # Indexes are built after the load, as an operator would for a bulk import.
        indexes = [
            r["indexdef"]
            for r in await conn.fetch(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'documents' AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"
            )
        ]
        for r in await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'documents' AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"
        ):
            await conn.execute(f'DROP INDEX "{r["indexname"]}"')
        t0 = time.perf_counter()
        n_agencies = len(agencies)
        for start in range(1, DOCUMENTS + 1, BATCH):
            end = min(DOCUMENTS, start + BATCH - 1)
            await conn.execute(f"""
                INSERT INTO documents (id, agency_id, index_number, title, summary, body, publisher, doc_number, doc_number_key,
                    category_code, topic_code, keywords, made_on, publish_due_on, published_on, published_on_time, validity,
                    validity_changed_on, status, decision_count, author_sub, reviewed_by, revision, search_vector, title_vector, sample_bucket,
                    created_at, updated_at, version)
                SELECT gen_random_uuid()::text, a.id, a.credit_code || '/' || extract(year FROM d.made)::int || '-' || lpad(g::text, 7, '0'),
                    p.title || '（' || v.name || '）', p.summary, p.body || v.name || '。', '滁山县人民政府',
                    CASE WHEN g % 3 = 0 THEN a.prefix || '〔' || extract(year FROM d.made)::int || '〕' || g || '号' END,
                    CASE WHEN g % 3 = 0 THEN a.prefix || '〔' || extract(year FROM d.made)::int || '〕' || g || '号' END,
                    p.category_code, p.topic_code, json_build_array(p.phrase), d.made, d.made + 28, d.made + (g % 31)::int,
                    (g % 31) < 27, CASE WHEN g % 37 = 0 THEN 'repealed' ELSE 'valid' END,
                    CASE WHEN g % 37 = 0 THEN d.made + 400 END,
                    CASE WHEN g % 100 = 0 THEN 'draft' WHEN g % 100 = 1 THEN 'withdrawn' ELSE 'published' END,
                    1, 'bench', 'bench-reviewer', 1,
                    CASE WHEN g % 100 > 1 THEN p.vec || v.vec END, CASE WHEN g % 100 > 1 THEN p.tvec END, abs(hashint8(g)) % 1000,
                    now(), now(), 1
                FROM generate_series({start}::bigint, {end}::bigint) AS g
                JOIN bench_pool p ON p.i = (g * 7919) % {POOL}
                JOIN bench_village v ON v.i = (g * 104729) % {VILLAGES}
                JOIN bench_agency a ON a.i = (g * 31) % {n_agencies}
                CROSS JOIN LATERAL (SELECT date '2016-11-01' + (g::bigint * 3650 / {DOCUMENTS})::int AS made) d""")
            print(f"  loaded {end:,} / {DOCUMENTS:,} documents ({time.perf_counter() - t0:.0f} s)", flush=True)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '1GB'")
        for ddl in indexes:
            await conn.execute(ddl)
        await conn.execute("VACUUM ANALYZE documents")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('documents'))")
        print(
            f"loaded {DOCUMENTS:,} documents in {load_s:.0f} s; indexes and VACUUM ANALYZE in {time.perf_counter() - t0:.0f} s; table {size}"
        )
    finally:
        await conn.close()


async def timed(fn: Callable[[int], Awaitable[None]], runs: int, warmup: int = 3) -> list[float]:
    for i in range(warmup):  # warm the caches and the connection pool
        await fn(i)
    out = []
    for i in range(runs):
        t0 = time.perf_counter()
        await fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def measure(name: str) -> int:
    conn = await asyncpg.connect(db_url(name, "postgresql"))
    settings = CatalogSettings(
        database_url=db_url(name),
        run_workers=False,
        run_consumers=False,
        run_scheduler=False,
        kafka_bootstrap_servers="127.0.0.1:1",
        storage_dir="var/bench-catalog-files",
        log_level="WARNING",
    )
    app = create_app(settings)
    rows: list[tuple[str, list[float], list[float] | None, str]] = []
    try:
        county = await conn.fetchval("SELECT id FROM agencies WHERE parent_id IS NULL")
        dept = await conn.fetchval("SELECT id FROM agencies WHERE kind = 'department' ORDER BY name LIMIT 1")
        numbers = [
            r[0]
            for r in await conn.fetch(
                "SELECT doc_number FROM documents WHERE doc_number IS NOT NULL AND status = 'published' "
                f"ORDER BY index_number LIMIT 40 OFFSET {DOCUMENTS // 20}"
            )
        ]
        common = ["低保", "乡村振兴", "公租房", "就业补贴", "环境保护", "义务教育", "政府采购", "高标准农田"]  # each in 2-10% of documents
        rare = [
            f"{a}{b}{c}村" for a, b, c in zip("东西南北上下前后", "王李张刘陈杨黄赵", "庄集圩岗湾塘桥庄", strict=False)
        ]  # a village: under 1%
        words = common
        filters = [
            {"agency_id": county, "category": "regulatory", "from": "2021-01-01", "to": "2021-12-31"},
            {"agency_id": dept, "from": "2025-01-01"},
            {"topic": "social_assistance", "validity": "valid"},
            {"category": "administrative_penalty", "agency_id": county, "from": "2019-03-01", "to": "2019-03-31"},
        ]
        async with running_app(app) as client:

            async def api(params: dict) -> None:
                r = await client.get("/api/v1/catalog/public/documents", params=params)
                assert r.status_code == 200, r.text

            word = await timed(lambda i: api({"q": common[i % len(common)]}), RUNS)
            rare_word = await timed(lambda i: api({"q": rare[i % len(rare)]}), RUNS)
            two_words = await timed(lambda i: api({"q": f"{common[i % len(common)]} {rare[i % len(rare)]}"}), RUNS)
            dated = await timed(lambda i: api({"q": common[i % len(common)], "from": "2025-01-01", "agency_id": dept}), RUNS)
            number = await timed(lambda i: api({"q": numbers[i % len(numbers)].replace("〔", "[").replace("〕", "]")}), RUNS)
            listing = await timed(lambda i: api(filters[i % len(filters)]), RUNS)

            async def ilike_word(i: int) -> None:
                pattern = f"%{words[i % len(words)]}%"
                where = "status = 'published' AND (title ILIKE $1 OR body ILIKE $1 OR keywords::text ILIKE $1)"
                await conn.fetch(
                    f"SELECT id, title, published_on FROM documents WHERE {where} ORDER BY published_on DESC LIMIT 20", pattern
                )
                await conn.fetchval(f"SELECT count(*) FROM documents WHERE {where}", pattern)

            async def ilike_number(i: int) -> None:
                pattern = f"%{numbers[i % len(numbers)]}%"
                await conn.fetch("SELECT id, title FROM documents WHERE status = 'published' AND doc_number ILIKE $1 LIMIT 20", pattern)

            print("running the ILIKE baselines (slow by nature)…", flush=True)
            rows.append(("a common word (facets)", word, await timed(ilike_word, BASELINE_RUNS, warmup=1), "ILIKE title/body + count"))
            rows.append(("a village name (facets)", rare_word, None, ""))
            rows.append(("two words (facets)", two_words, None, ""))
            rows.append(("word + agency + date (facets)", dated, None, ""))
            rows.append(("a 文号", number, await timed(ilike_number, BASELINE_RUNS, warmup=1), "ILIKE doc_number"))
            rows.append(("filter-only listing (facets)", listing, None, ""))

            # Publish rate through the API: draft, submit, approve (jieba, both vectors, outbox, index update).
            editor = auth(settings, "handler", agency_id=dept, sub="bench-editor")
            reviewer = auth(settings, "reviewer", agency_id=dept, sub="bench-reviewer")
            body = "".join(random.Random(7).choice(SENTENCES) for _ in range(60))
            app.state.today = lambda: date(2026, 11, 20)
            n_publish = 150
            t0 = time.perf_counter()
            for i in range(n_publish):
                r = await client.post(
                    "/api/v1/catalog/documents",
                    headers=editor,
                    json={
                        "agency_id": dept,
                        "title": f"关于做好城乡低保提标工作的通知（第{i}号）",
                        "body": body,
                        "category_code": "normative_document",
                        "topic_code": "social_assistance",
                        "made_on": "2026-11-10",
                        "doc_number": f"滁民〔2026〕{i + 1}号",
                    },
                )
                assert r.status_code == 201, r.text
                doc = r.json()["id"]
                assert (await client.post(f"/api/v1/catalog/documents/{doc}/submit", headers=editor)).status_code == 200
                assert (await client.post(f"/api/v1/catalog/documents/{doc}/approve", headers=reviewer)).status_code == 200
            publish_s = time.perf_counter() - t0
            probe = (await client.get("/api/v1/catalog/public/documents", params={"q": "低保"})).json()
            approx_total, approx_flag = probe["total"], probe["approximate"]
            found = (await client.get("/api/v1/catalog/public/documents", params={"q": "滁民〔2026〕77号"})).json()
            assert found["total"] >= 1 and found["items"][0]["doc_number"] == "滁民〔2026〕77号", found  # (more on a reused database)
    finally:
        await conn.close()

    print(
        f"\ncatalog search over {DOCUMENTS:,} documents (PostgreSQL, catalog API in process, {RUNS} runs each; baseline {BASELINE_RUNS} runs)"
    )
    print(f"{'query':32} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   {'baseline':26} {'p50 ms':>9} {'p95 ms':>9}  {'ratio p50':>9}")
    for label, ours, base, base_label in rows:
        line = f"{label:32} {percentile(ours, 50):8.1f} {percentile(ours, 95):8.1f} {percentile(ours, 99):8.1f}"
        if base:
            line += (
                f"   {base_label:26} {percentile(base, 50):9.1f} {percentile(base, 95):9.1f}"
                f"  {percentile(ours, 50) / percentile(base, 50):9.3f}"
            )
        print(line)
    print(
        f"publish (draft + submit + approve through the API): {n_publish / publish_s:.1f} documents/s "
        f"({publish_s / n_publish * 1000:.0f} ms each, mean of {n_publish})"
    )
    target = max(percentile(r[1], 95) for r in rows)
    print(f"worst p95: {target:.1f} ms (target: under 100 ms)   mean common-word latency: {statistics.mean(word):.1f} ms")
    print(f"a common word matches about {approx_total:,} documents: its total and facets are sampled estimates (approximate={approx_flag})")
    return 0


async def main() -> int:
    if REUSE:
        name = REUSE
        print(f"reusing database {name}")
    else:
        name = f"bench_catalog_{uuid.uuid4().hex[:8]}"
        await admin(f'CREATE DATABASE "{name}"')
    try:
        if not REUSE:
            await load(name)
        return await measure(name)
    finally:
        if KEEP and not REUSE:
            print(f"kept database {name}: BENCH_CATALOG_DB={name} measures it again")
        elif not REUSE:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
