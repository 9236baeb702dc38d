"""The officers' document list as the workbench uses it: words, category, the officer's own, the review queue."""

from __future__ import annotations

from services.catalog.tests.conftest import API


async def _list(c, who, **params) -> dict:
    r = await c.client.get(f"{API}/documents", params=params, headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_list_filters_by_words_category_and_author_and_names_who_drafted(catalog_app) -> None:
    c = catalog_app
    mine = c.who("handler", sub="drafter-1")
    low = await c.draft(as_=mine, title="关于调整城乡低保标准的通知", doc_number="青民〔2026〕8号")
    plan = await c.draft(title="2027年社会救助工作计划", category_code="plan")
    odd = await c.draft(title="百分之百_覆盖 的说明")
    reader = c.who("reviewer")
    assert [d["id"] for d in (await _list(c, reader, q="低保"))["items"]] == [low["id"]]
    assert [d["id"] for d in (await _list(c, reader, q="青民〔2026〕8"))["items"]] == [low["id"]]
    assert [d["id"] for d in (await _list(c, reader, q=plan["index_number"]))["items"]] == [plan["id"]]
    assert [d["id"] for d in (await _list(c, reader, q="%"))["items"]] == []  # a wildcard is a character, not "anything"
    assert [d["id"] for d in (await _list(c, reader, q="_"))["items"]] == [odd["id"]]
    assert [d["id"] for d in (await _list(c, reader, category_code="plan"))["items"]] == [plan["id"]]
    assert [d["id"] for d in (await _list(c, mine, mine="true"))["items"]] == [low["id"]]
    item = (await _list(c, reader, q="低保"))["items"][0]
    assert item["author_sub"] == "drafter-1" and item["submitted_by"] is None and item["pending_revision_by"] is None


async def test_awaiting_review_lists_submitted_documents_and_pending_revisions_only(catalog_app) -> None:
    c = catalog_app
    await c.draft(title="仍是草稿")
    submitted = await c.draft(title="已提交审查")
    await c.step(submitted["id"], "submit", c.who("handler", sub="submitter-1"))
    published = await c.publish(title="已发布无修订")
    revised = await c.publish(title="已发布有修订")
    await c.step(revised["id"], "revisions", c.who("handler", sub="reviser-1"), {"body": "新的正文", "reason": "补充"})
    returned = await c.publish(title="修订已退回")
    await c.step(returned["id"], "revisions", c.who("handler"), {"body": "又一版", "reason": "补充"})
    await c.step(returned["id"], "revisions/return", c.who("reviewer"), {"note": "无需修订"})
    queue = await _list(c, c.who("reviewer"), awaiting_review="true")
    by_id = {d["id"]: d for d in queue["items"]}
    assert set(by_id) == {submitted["id"], revised["id"]} and queue["total"] == 2
    assert by_id[submitted["id"]]["submitted_by"] == "submitter-1"
    assert by_id[revised["id"]]["pending_revision_by"] == "reviser-1"
    assert published["id"] not in by_id


async def test_words_with_control_characters_are_answered_not_a_server_error(catalog_app) -> None:
    c = catalog_app
    d = await c.draft(title="关于调整城乡低保标准的通知")
    r = await c.client.get(f"{API}/documents", params={"q": "低保\x00"}, headers=c.who("reviewer"))
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [d["id"]]
    assert (await c.client.get(f"{API}/documents", params={"q": "\x00"}, headers=c.who("reviewer"))).json()["total"] == 1
    r = await c.client.get(f"{API}/documents", params={"category_code": "plan\x00"}, headers=c.who("reviewer"))
    assert r.status_code == 422, r.text
