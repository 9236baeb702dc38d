"""文号 and search input: LIKE wildcards are literal, full-width and bracket variants are one 文号, and one agency
cannot give two live documents the same 文号."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from services.catalog.adapters.orm import Document
from services.catalog.tests.conftest import API
from shared.testing import assert_problem


async def search(c, **params: Any) -> dict[str, Any]:
    r = await c.client.get(f"{API}/public/documents", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def draft_status(c, **fields: Any):
    body = {
        "agency_id": c.civil,
        "title": "青山县民政局关于调整城乡低保标准的通知",
        "body": "各乡镇人民政府：现将城乡低保标准调整如下。",
        "category_code": "normative_document",
        "made_on": "2026-11-02",
    } | fields
    return await c.client.post(f"{API}/documents", json=body, headers=c.who("handler", body["agency_id"]))


@pytest.mark.parametrize("query", ["_", "%", "\\", "__", "_%"])
async def test_like_wildcards_in_a_query_match_nothing_but_themselves(catalog_app, query) -> None:
    c = catalog_app
    await c.publish(title="关于做好城乡低保提标工作的通知", body="低保 a b 2026")
    r = await c.client.get(f"{API}/public/documents", params={"q": query})
    if r.status_code == 422:  # nothing to search for is also a fair answer
        assert_problem(r, 422, "query_too_vague")
    else:
        assert r.status_code == 200 and r.json()["total"] == 0, r.text


async def test_an_underscore_in_a_document_is_still_found_by_itself(catalog_app) -> None:
    c = catalog_app
    d = await c.publish(title="数据接口说明", body="字段 open_data 的含义")
    await c.publish(title="另一份通知", body="一般 正文")
    assert [i["id"] for i in (await search(c, q="open_data"))["items"]] == [d["id"]]


@pytest.mark.parametrize("written", ["青民〔２０２６〕８号", "青民【2026】8号", "青民［2026］８号", "青民[2026]8号", "青民〖2026〗08号"])
@pytest.mark.parametrize("typed", ["青民〔2026〕8号", "青民〔２０２６〕８号", "青民【2026】8号", "青民（２０２６）8"])
async def test_full_width_digits_and_bracket_variants_are_one_doc_number(catalog_app, written, typed) -> None:
    c = catalog_app
    d = await c.publish(doc_number=written)
    async with c.app.state.runtime.sessions() as s:
        assert (await s.get(Document, d["id"])).doc_number_key == "青民〔2026〕8号"
    assert [i["id"] for i in (await search(c, q=typed))["items"]] == [d["id"]]


async def test_full_width_digits_in_a_title_are_found_by_ascii_digits(catalog_app) -> None:
    c = catalog_app
    d = await c.publish(title="２０２６年度城乡低保资金", body="正文")
    assert [i["id"] for i in (await search(c, q="2026"))["items"]] == [d["id"]]


async def test_a_second_document_with_the_same_doc_number_in_one_agency_is_409(catalog_app) -> None:
    c = catalog_app
    first = await c.publish(doc_number="青民〔2026〕8号")
    for variant in ("青民〔2026〕8号", "青民[２０２６]08号", "青民【2026】8"):
        body = assert_problem(await draft_status(c, doc_number=variant), 409, "doc_number_taken")
        assert body["errors"][0]["field"] == "doc_number" and "青民〔2026〕8号" in body["detail"]
    async with c.app.state.runtime.sessions() as s:
        assert len((await s.execute(select(Document))).scalars().all()) == 1
    # Another agency may use the same number; so may a different number here.
    assert (await draft_status(c, agency_id=c.finance, doc_number="青民〔2026〕8号")).status_code == 201
    assert (await draft_status(c, doc_number="青民〔2026〕9号")).status_code == 201
    # A draft cannot be edited onto a taken number either.
    other = await c.draft(doc_number="青民〔2026〕10号")
    r = await c.client.patch(f"{API}/documents/{other['id']}", json={"doc_number": "青民（2026）8号"}, headers=c.who("handler", c.civil))
    assert_problem(r, 409, "doc_number_taken")
    # Nor can a revision of a published document take another document's number.
    r = await c.client.post(
        f"{API}/documents/{(await c.publish(doc_number='青民〔2026〕11号'))['id']}/revisions",
        json={"doc_number": "青民〔2026〕8号", "reason": "改号"},
        headers=c.who("handler", c.civil),
    )
    assert_problem(r, 409, "doc_number_taken")
    assert first["doc_number"] == "青民〔2026〕8号"


async def test_a_revision_keeps_its_own_doc_number_and_a_withdrawn_one_frees_it(catalog_app) -> None:
    c = catalog_app
    d = await c.publish(doc_number="青民〔2026〕8号")
    await c.step(
        d["id"],
        "revisions",
        c.who("handler", c.civil),
        {"title": "青山县民政局关于调整城乡低保标准的通知（修订）", "reason": "更正标题", "doc_number": "青民〔2026〕8号"},
    )
    revised = await c.step(d["id"], "revisions/approve", c.who("reviewer", c.civil))
    assert revised["revision"] == 2 and revised["doc_number"] == "青民〔2026〕8号"
    await c.step(d["id"], "withdraw", c.who("head", c.civil), {"note": "误发，重新印发"})
    again = await c.publish(doc_number="青民〔2026〕8号", title="青山县民政局关于调整城乡低保标准的通知（重新印发）")
    assert [i["id"] for i in (await search(c, q="青民〔2026〕8号"))["items"]] == [again["id"]]


async def test_an_interpretation_may_cite_its_policys_doc_number(catalog_app) -> None:
    c = catalog_app
    policy = await c.publish(doc_number="青民〔2026〕8号")
    r = await draft_status(
        c,
        doc_number="青民〔2026〕8号",
        category_code="policy_interpretation",
        interprets_id=policy["id"],
        title="《关于调整城乡低保标准的通知》政策解读",
    )
    assert r.status_code == 201, r.text
