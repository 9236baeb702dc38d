"""Public Chinese search: words inside longer words, 文号, filters and facets that agree, drafts never shown."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.catalog.tests.conftest import API


async def search(c, **params: Any) -> dict[str, Any]:
    r = await c.client.get(f"{API}/public/documents", params={k.replace("from_", "from"): v for k, v in params.items()})
    assert r.status_code == 200, r.text
    return r.json()


def ids(result: dict) -> list[str]:
    return [i["id"] for i in result["items"]]


@pytest.fixture
async def corpus(catalog_app) -> dict[str, Any]:
    c = catalog_app
    docs = {}
    c.set_today(date(2026, 3, 10))
    docs["dibao"] = await c.publish(
        title="关于做好城乡低保提标工作的通知",
        body="各乡镇：城乡居民最低生活保障标准自4月起提高。",
        doc_number="青民〔2026〕8号",
        topic_code="social_assistance",
        made_on="2026-03-02",
        keywords=["救助标准"],
    )
    c.set_today(date(2026, 6, 15))
    docs["housing"] = await c.publish(
        title="青山县公租房分配实施细则",
        body="符合条件的住房困难家庭可以申请公共租赁住房。",
        topic_code="housing_security",
        category_code="normative_document",
        made_on="2026-06-10",
    )
    docs["budget"] = await c.publish(
        agency_id=c.finance,
        title="青山县2026年财政预算公开",
        body="本年度一般公共预算收入……低保资金安排3000万元。",
        category_code="budget",
        made_on="2026-06-01",
    )
    c.set_today(date(2026, 11, 20))
    docs["plan"] = await c.publish(
        title="青山县乡村振兴规划（2026—2030年）",
        body="推进乡村振兴，巩固脱贫攻坚成果。",
        category_code="plan",
        topic_code="rural_revitalization",
        made_on="2026-11-02",
    )
    docs["draft"] = await c.draft(title="城乡低保资金审计整改情况（草稿）", body="低保 低保 低保", made_on="2026-11-02")
    in_review = await c.draft(title="低保对象名单（审查中）", body="低保", made_on="2026-11-02")
    await c.step(in_review["id"], "submit", c.who("handler"))
    docs["in_review"] = in_review
    withdrawn = await c.publish(title="低保误发文件", body="低保", made_on="2026-11-02")
    await c.step(withdrawn["id"], "withdraw", c.who("head"), {"note": "误发"})
    docs["withdrawn"] = withdrawn
    return docs


async def test_a_word_finds_documents_that_contain_it_inside_a_longer_word(catalog_app, corpus) -> None:
    result = await search(catalog_app, q="低保")
    assert set(ids(result)) == {corpus["dibao"]["id"], corpus["budget"]["id"]}
    assert ids(result)[0] == corpus["dibao"]["id"]  # the title match ranks first
    assert result["total"] == 2 and result["sort"] == "relevance"


@pytest.mark.parametrize("query", ["乡村振兴", "振兴规划", "公租房", "最低生活保障", "救助标准"])
async def test_phrases_keywords_and_body_words_are_found(catalog_app, corpus, query) -> None:
    expected = {"乡村振兴": "plan", "振兴规划": "plan", "公租房": "housing", "最低生活保障": "dibao", "救助标准": "dibao"}[query]
    result = await search(catalog_app, q=query)
    assert ids(result)[0] == corpus[expected]["id"], (query, result["items"])


async def test_every_word_of_a_query_must_match(catalog_app, corpus) -> None:
    assert ids(await search(catalog_app, q="低保 预算")) == [corpus["budget"]["id"]]
    assert (await search(catalog_app, q="低保 公租房"))["total"] == 0


@pytest.mark.parametrize("query", ["青民〔2026〕8号", "青民[2026]8号", "青民（2026）08号"])
async def test_a_document_number_finds_the_document(catalog_app, corpus, query) -> None:
    assert ids(await search(catalog_app, q=query)) == [corpus["dibao"]["id"]]


async def test_drafts_documents_in_review_and_withdrawn_ones_never_appear(catalog_app, corpus) -> None:
    hidden = {corpus[k]["id"] for k in ("draft", "in_review", "withdrawn")}
    for params in ({"q": "低保"}, {"q": "草稿"}, {}, {"agency_id": catalog_app.civil}, {"category": "normative_document"}):
        result = await search(catalog_app, **params, size=50)
        assert not hidden & set(ids(result)), params
    for key in ("draft", "in_review", "withdrawn"):
        r = await catalog_app.client.get(f"{API}/public/documents/{corpus[key]['id']}")
        assert r.status_code == 404


async def test_filters_and_facets_agree(catalog_app, corpus) -> None:
    c = catalog_app
    everything = await search(c)
    assert everything["total"] == 4 and everything["sort"] == "date"
    facets = everything["facets"]
    by_code = {f["code"]: f["count"] for f in facets["category"]}
    # A parent's count includes its subcategories; top-level counts add up to the total.
    assert by_code["regulatory"] == by_code["normative_document"] == 2
    assert by_code["finance"] == by_code["budget"] == 1
    assert sum(f["count"] for f in facets["category"] if f["parent_code"] is None) == everything["total"]
    for dimension, param in (("category", "category"), ("topic", "topic"), ("agency", "agency_id")):
        for facet in facets[dimension]:
            if facet["code"] is None:
                continue
            filtered = await search(c, **{param: facet["code"]})
            assert filtered["total"] == facet["count"], (dimension, facet)
    for facet in facets["validity"]:
        assert (await search(c, validity=facet["code"]))["total"] == facet["count"]
    years = {f["code"]: f["count"] for f in facets["year"]}
    assert years == {"2026": 4}
    within = await search(c, from_="2026-06-01", to="2026-06-30")
    assert set(ids(within)) == {corpus["housing"]["id"], corpus["budget"]["id"]}
    # Facets of a text query count only its matches.
    text = await search(c, q="低保")
    assert sum(f["count"] for f in text["facets"]["agency"]) == text["total"] == 2


async def test_agency_filter_covers_the_subtree(catalog_app, corpus) -> None:
    c = catalog_app
    assert (await search(c, agency_id=c.county))["total"] == 4
    assert set(ids(await search(c, agency_id=c.finance))) == {corpus["budget"]["id"]}


async def test_repealed_documents_stay_findable_and_filterable_by_validity(catalog_app, corpus) -> None:
    c = catalog_app
    await c.step(corpus["housing"]["id"], "validity", c.who("head"), {"validity": "repealed", "effective_on": "2026-11-20"})
    assert ids(await search(c, q="公租房", validity="repealed")) == [corpus["housing"]["id"]]
    assert (await search(c, q="公租房", validity="valid"))["total"] == 0


async def test_a_revision_updates_what_search_finds(catalog_app, corpus) -> None:
    c = catalog_app
    d = corpus["plan"]["id"]
    await c.step(d, "revisions", c.who("handler"), {"body": "建设高标准农田，发展特色产业。", "reason": "更新"})
    assert ids(await search(c, q="高标准农田")) == []  # not until the revision passes review
    await c.step(d, "revisions/approve", c.who("reviewer"))
    assert ids(await search(c, q="高标准农田")) == [d]
    assert ids(await search(c, q="脱贫攻坚")) == []


async def test_pages_are_stable_and_disjoint(catalog_app) -> None:
    c = catalog_app
    for i in range(7):
        await c.publish(title=f"就业补贴公示第{i + 1}批", body="就业补贴发放名单。", topic_code="employment", made_on="2026-11-02")
    seen: list[str] = []
    for page in (1, 2, 3):
        result = await search(c, q="就业补贴", size=3, page=page)
        assert result["total"] == 7
        seen += ids(result)
    assert len(seen) == len(set(seen)) == 7
    assert seen == ids(await search(c, q="就业补贴", size=7))
    by_date = await search(c, topic="employment", sort="date_asc", size=10)
    assert by_date["total"] == 7 and ids(by_date) == sorted(ids(by_date))  # same day: by id, ascending


async def test_very_many_matches_give_sampled_counts_and_date_order(broker, databases, topic_prefix, tmp_path) -> None:
    """Beyond the exact limit (PostgreSQL), totals and facets are estimated from the sample buckets and
    relevance gives way to date order; the listed page itself stays exact."""
    from sqlalchemy import update

    from services.catalog.adapters.orm import Document
    from services.catalog.app import create_app
    from services.catalog.settings import CatalogSettings
    from services.catalog.tests.conftest import CODE_CIVIL, Catalog
    from shared.testing import auth, running_app, settings_for

    url = await databases.new("catalog")
    if not url.startswith("postgresql"):
        pytest.skip("sampled counting is PostgreSQL's; SQLite counts exactly")
    settings = settings_for(
        CatalogSettings,
        database_url=url,
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path),
        run_scheduler=False,
        run_consumers=False,
        search_exact_limit=20,
        search_sample_rows=10,
    )
    app = create_app(settings)
    async with running_app(app) as client:
        r = await client.post(
            f"{API}/agencies",
            json={"name": "青山县民政局", "kind": "department", "credit_code": CODE_CIVIL},
            headers=auth(settings, "admin"),
        )
        c = Catalog(client, app, settings, r.json()["id"], r.json()["id"], r.json()["id"])
        published = []
        for i in range(40):
            c.set_today(date(2026, 1, 5) + timedelta(days=i))
            published.append((await c.publish(title=f"低保金发放公示第{i + 1}期", made_on=c.app.state.today().isoformat()))["id"])
        async with app.state.runtime.sessions() as s:  # one document per bucket 0..39: a known sample
            for bucket, document_id in enumerate(published):
                await s.execute(update(Document).where(Document.id == document_id).values(sample_bucket=bucket))
            await s.commit()
        result = await search(c, q="低保", size=5)
        # Buckets 0-1 (the first 0.2% probe) hold two matches, so ~1000 are expected: read buckets
        # 0-9 (10 matches, the sample_rows asked for) and scale by 1000/10.
        assert result["approximate"] is True and result["total"] == 1000
        assert result["sort"] == "date"
        # The page is exact: the newest first, read from the window the sample predicts (the newest
        # sampled match, bucket 9, is the 31st newest, so the window holds the page)...
        newest_first = list(reversed(published))
        assert ids(result) == newest_first[:5]
        # ...and from all matches when the window is too narrow for the page asked for.
        assert ids(await search(c, q="低保", size=5, page=7)) == newest_first[30:35]
        assert ids(await search(c, q="低保", size=5, page=2, sort="date_asc")) == published[5:10]
        assert ids(await search(c, q="低保", size=5, page=8, sort="date_asc")) == published[35:40]
        # The same pages read through the sample's date window (here the walk along the date index
        # is always cheaper, so turn it off): the window holds page 1; pages beyond it fall back.
        from services.catalog.adapters import search as adapter
        from services.catalog.domain.search import parse_query

        async def window_page(page: int, sort: str = "date") -> list[str]:
            async with app.state.runtime.sessions() as s, s.begin():
                found = await adapter.search(
                    s,
                    adapter.Criteria(query=parse_query("低保")),
                    sort=sort,
                    offset=(page - 1) * 5,
                    limit=5,
                    exact_limit=20,
                    sample_rows=10,
                    dense_walk_rows=0,
                )
            assert found.approximate and found.total == 1000
            return [row.id for row in found.rows]

        assert await window_page(1) == newest_first[:5]
        assert await window_page(2) == newest_first[5:10]
        assert await window_page(7) == newest_first[30:35]
        assert await window_page(1, "date_asc") == published[:5]
        assert await window_page(8, "date_asc") == published[35:40]
        assert sum(f["count"] for f in result["facets"]["validity"]) == result["total"]
        exact = await search(c, q="低保 第7期")
        assert exact["approximate"] is False and ids(exact) == [published[6]]
