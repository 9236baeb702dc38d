"""Issue #13 audit: every catalog write that names an agency stays inside the caller's subtree (admins everywhere)."""

from __future__ import annotations

import re

from services.catalog.adapters.orm import Agency, Category, Document, Guide, IndexSequence
from services.catalog.tests.conftest import API
from shared.testing import assert_problem

CJK = re.compile(r"[\u4e00-\u9fff]")
DRAFT = {
    "title": "青山县民政局关于调整城乡低保标准的通知",
    "body": "各乡镇人民政府：现将城乡低保标准调整如下。",
    "category_code": "normative_document",
    "made_on": "2026-11-02",
}
GUIDE = {
    "office": "青山县民政局办公室",
    "address": "青山县人民路1号",
    "postcode": "100000",
    "phone": "0551-12345678",
    "hours": "工作日 9:00-17:00",
    "channels": ["online", "letter"],
}


async def _stored(c) -> dict[str, int]:
    return {
        "documents": await c.count(Document),
        "index_numbers": await c.count(IndexSequence),
        "guides": await c.count(Guide),
        "agencies": await c.count(Agency),
        "categories": await c.count(Category),
        "outbox": len(await c.outbox()),
    }


async def test_a_sibling_departments_officer_cannot_draft_for_another_agency_and_nothing_is_stored(catalog_app) -> None:
    c = catalog_app
    before = await _stored(c)
    for role in ("handler", "registrar", "head"):
        r = await c.client.post(f"{API}/documents", json={"agency_id": c.civil, **DRAFT}, headers=c.who(role, c.finance))
        assert_problem(r, 403, "agency_out_of_scope")
        assert r.headers["content-type"].startswith("application/problem+json") and CJK.search(r.json()["detail"])
    assert await _stored(c) == before  # no draft, no 索引号 taken, no event
    # the department itself and the county above it may
    assert (
        await c.client.post(f"{API}/documents", json={"agency_id": c.civil, **DRAFT}, headers=c.who("handler", c.civil))
    ).status_code == 201
    assert (
        await c.client.post(f"{API}/documents", json={"agency_id": c.civil, **DRAFT}, headers=c.who("head", c.county))
    ).status_code == 201
    # but not upwards: a department drafts nothing for the county government
    assert_problem(
        await c.client.post(f"{API}/documents", json={"agency_id": c.county, **DRAFT}, headers=c.who("handler", c.civil)),
        403,
        "agency_out_of_scope",
    )


async def test_a_sibling_departments_officer_cannot_touch_another_agencys_draft(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    other = c.who("head", c.finance)
    etag = {"If-Match": f'"{d["id"]}.{d["version"]}"'}
    assert_problem(
        await c.client.patch(f"{API}/documents/{d['id']}", json={"title": "越权修改"}, headers=other | etag), 404, "document_not_found"
    )
    for step in ("submit", "withdraw"):
        assert_problem(
            await c.client.post(f"{API}/documents/{d['id']}/{step}", json={"note": "越权"}, headers=other | etag), 404, "document_not_found"
        )
    r = await c.client.post(
        f"{API}/documents/{d['id']}/attachments", files={"file": ("a.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}, headers=other
    )
    assert_problem(r, 404, "document_not_found")
    now = (await c.client.get(f"{API}/documents/{d['id']}", headers=c.who("handler"))).json()
    assert now["title"] == DRAFT["title"] and now["status"]["code"] == "draft" and now["attachments"] == []


async def test_agencies_and_categories_are_written_by_admins_only(catalog_app) -> None:
    c = catalog_app
    before = await _stored(c)
    for role in ("head", "supervisor"):
        r = await c.client.post(
            f"{API}/agencies", json={"name": "青山县某局", "kind": "department", "parent_id": c.civil}, headers=c.who(role, c.county)
        )
        assert_problem(r, 403, "forbidden_role")
        r = await c.client.patch(f"{API}/agencies/{c.civil}", json={"parent_id": c.finance}, headers=c.who(role, c.county))
        assert_problem(r, 403, "forbidden_role")
        r = await c.client.post(
            f"{API}/categories", json={"code": "local_x", "name": "某类", "kind": "category"}, headers=c.who(role, c.county)
        )
        assert_problem(r, 403, "forbidden_role")
    assert await _stored(c) == before


async def test_a_sibling_departments_head_cannot_write_another_agencys_guide_but_the_county_head_can(catalog_app) -> None:
    c = catalog_app
    url = f"{API}/agencies/{c.civil}/guide"
    assert_problem(await c.client.put(url, json=GUIDE, headers=c.who("head", c.finance)), 403, "agency_out_of_scope")
    assert await c.count(Guide) == 0
    assert (await c.client.put(url, json=GUIDE, headers=c.who("head", c.civil))).status_code == 200
