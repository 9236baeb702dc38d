"""Documents through the API: every lifecycle step, its event, and the steps that are refused."""

from __future__ import annotations

from datetime import date

import pytest

from services.catalog.adapters.orm import Document, DocumentRevision
from services.catalog.tests.conftest import API, CODE_CIVIL
from shared.testing import assert_problem


def types(events: list[dict], document_id: str) -> list[str]:
    return [e["type"] for e in events if e["aggregate_id"] == document_id]


async def test_draft_gets_an_index_number_and_the_art26_deadline(catalog_app) -> None:
    c = catalog_app
    d = await c.draft(made_on="2026-09-28")
    assert d["index_number"] == f"{CODE_CIVIL}/2026-00001"
    assert d["status"]["code"] == "draft"
    # 20 working days after 2026-09-28 on the official calendar: 10-01..10-07 are the National Day holiday,
    # Saturday 10-10 a 调休 working day.
    assert d["publish_due_on"] == "2026-10-30"
    assert d["allowed_steps"] == ["edit", "submit"]
    second = await c.draft(made_on="2026-10-09")
    assert second["index_number"] == f"{CODE_CIVIL}/2026-00002"
    assert types(await c.outbox(), d["id"]) == ["DocumentDrafted"]


async def test_publication_through_review_emits_the_events_the_annual_report_counts(catalog_app) -> None:
    c = catalog_app
    d = await c.draft(decision_count=1)
    submitted = await c.step(d["id"], "submit", c.who("handler"))
    assert submitted["status"]["code"] == "in_review"
    published = await c.step(d["id"], "approve", c.who("reviewer"))
    assert published["status"]["code"] == "published"
    assert published["published_on"] == "2026-11-20"
    assert published["published_on_time"] is True  # made 11-02, due 11-30
    events = [e for e in await c.outbox() if e["aggregate_id"] == d["id"]]
    assert [e["type"] for e in events] == ["DocumentDrafted", "DocumentSubmitted", "DocumentPublished"]
    payload = events[-1]["payload"]
    assert payload["category"] == "normative_document"
    assert payload["made_on"] == "2026-11-02" and payload["published_on"] == "2026-11-20"
    assert payload["index_number"] == d["index_number"] and payload["published_on_time"] is True


async def test_the_author_may_not_review_their_own_document(catalog_app) -> None:
    c = catalog_app
    head = c.who("head", sub="head-1")
    d = await c.draft(as_=head)
    await c.step(d["id"], "submit", head)
    r = await c.client.post(f"{API}/documents/{d['id']}/approve", headers=head)
    assert_problem(r, 403, "separation_of_duties")
    r = await c.client.post(f"{API}/documents/{d['id']}/return", json={"note": "自审"}, headers=head)
    assert_problem(r, 403, "separation_of_duties")
    # Another head (or a reviewer) may.
    ok = await c.step(d["id"], "approve", c.who("head", sub="head-2"))
    assert ok["status"]["code"] == "published"


async def test_return_sends_it_back_with_reasons_and_it_can_be_resubmitted(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    await c.step(d["id"], "submit", c.who("handler"))
    r = await c.client.post(f"{API}/documents/{d['id']}/return", json={}, headers=c.who("reviewer"))
    assert_problem(r, 422)  # reasons are required
    back = await c.step(d["id"], "return", c.who("reviewer"), {"note": "第三段涉及个人信息，请删除"})
    assert back["status"]["code"] == "draft" and back["review_note"] == "第三段涉及个人信息，请删除"
    r = await c.client.patch(
        f"{API}/documents/{d['id']}", json={"body": "各乡镇人民政府：标准调整如下（已删除个人信息）。"}, headers=c.who("handler")
    )
    assert r.status_code == 200, r.text
    await c.step(d["id"], "submit", c.who("handler"))
    assert (await c.step(d["id"], "approve", c.who("reviewer")))["status"]["code"] == "published"
    assert types(await c.outbox(), d["id"]) == [
        "DocumentDrafted",
        "DocumentSubmitted",
        "DocumentReturned",
        "DocumentSubmitted",
        "DocumentPublished",
    ]


@pytest.mark.parametrize(
    "step,role,body",
    [
        ("approve", "reviewer", None),  # not submitted yet
        ("return", "reviewer", {"note": "x"}),
        ("withdraw", "head", {"note": "x"}),
        ("validity", "head", {"validity": "repealed", "effective_on": "2026-11-20"}),
        ("revisions", "handler", {"title": "新标题", "reason": "x"}),
        ("revisions/approve", "reviewer", None),
    ],
)
async def test_illegal_steps_on_a_draft_get_409_and_change_nothing(catalog_app, step, role, body) -> None:
    c = catalog_app
    d = await c.draft()
    before = await c.outbox()
    r = await c.client.post(f"{API}/documents/{d['id']}/{step}", json=body, headers=c.who(role))
    problem = assert_problem(r, 409, "illegal_transition")
    assert problem["current_status"] == "draft" and problem["allowed"] == ["edit", "submit"]
    assert await c.outbox() == before
    again = (await c.client.get(f"{API}/documents/{d['id']}", headers=c.who("handler"))).json()
    assert again["status"]["code"] == "draft" and again["version"] == d["version"]


async def test_published_documents_cannot_be_edited_or_resubmitted(catalog_app) -> None:
    c = catalog_app
    d = await c.publish()
    r = await c.client.patch(f"{API}/documents/{d['id']}", json={"title": "改标题"}, headers=c.who("handler"))
    assert_problem(r, 409, "illegal_transition")
    r = await c.client.post(f"{API}/documents/{d['id']}/submit", headers=c.who("handler"))
    assert_problem(r, 409, "illegal_transition")


async def test_revision_is_reviewed_and_keeps_the_earlier_text(catalog_app) -> None:
    c = catalog_app
    d = await c.publish()
    proposed = await c.step(
        d["id"],
        "revisions",
        c.who("handler", sub="editor-1"),
        {"title": "青山县民政局关于调整城乡低保标准的通知（修订）", "reason": "更正标准金额"},
    )
    assert proposed["pending_revision"]["changes"]["title"].endswith("（修订）")
    public = (await c.client.get(f"{API}/public/documents/{d['id']}")).json()
    assert public["title"] == d["title"]  # the public keeps seeing the reviewed text until the revision passes review
    r = await c.client.post(f"{API}/documents/{d['id']}/revisions/approve", headers=c.who("head", sub="editor-1"))
    assert_problem(r, 403, "separation_of_duties")
    revised = await c.step(d["id"], "revisions/approve", c.who("reviewer"))
    assert revised["revision"] == 2 and revised["title"].endswith("（修订）") and revised["pending_revision"] is None
    history = (await c.client.get(f"{API}/documents/{d['id']}/revisions", headers=c.who("handler"))).json()
    assert [h["revision"] for h in history] == [1]
    assert history[0]["snapshot"]["title"] == d["title"] and history[0]["reason"] == "更正标准金额"
    assert (await c.client.get(f"{API}/public/documents/{d['id']}")).json()["title"].endswith("（修订）")
    events = [e for e in await c.outbox() if e["aggregate_id"] == d["id"]]
    assert [e["type"] for e in events][-2:] == ["DocumentRevisionProposed", "DocumentRevised"]
    assert events[-1]["payload"]["revision"] == 2
    assert await c.count(DocumentRevision) == 1


async def test_a_returned_revision_changes_nothing_public(catalog_app) -> None:
    c = catalog_app
    d = await c.publish()
    await c.step(d["id"], "revisions", c.who("handler"), {"body": "新的正文", "reason": "补充"})
    back = await c.step(d["id"], "revisions/return", c.who("reviewer"), {"note": "无需修订"})
    assert back["pending_revision"] is None and back["revision"] == 1 and back["body"] == d["body"]


async def test_repeal_keeps_it_public_as_repealed_and_withdrawal_hides_it(catalog_app) -> None:
    c = catalog_app
    d = await c.publish()
    r = await c.client.post(
        f"{API}/documents/{d['id']}/validity", json={"validity": "repealed", "effective_on": "2026-11-20"}, headers=c.who("handler")
    )
    assert_problem(r, 403, "forbidden_role")  # a head or admin declares it
    repealed = await c.step(d["id"], "validity", c.who("head"), {"validity": "repealed", "effective_on": "2026-11-20"})
    assert repealed["validity"]["code"] == "repealed"
    public = (await c.client.get(f"{API}/public/documents/{d['id']}")).json()
    assert public["validity"] == {"code": "repealed", "name": "废止", "changed_on": "2026-11-20"}
    r = await c.client.post(
        f"{API}/documents/{d['id']}/validity", json={"validity": "expired", "effective_on": "2026-11-20"}, headers=c.who("head")
    )
    assert_problem(r, 409, "illegal_transition")  # already no longer in force
    withdrawn = await c.step(d["id"], "withdraw", c.who("head"), {"note": "误发"})
    assert withdrawn["status"]["code"] == "withdrawn"
    assert_problem(await c.client.get(f"{API}/public/documents/{d['id']}"), 404, "document_not_found")
    r = await c.client.post(f"{API}/documents/{d['id']}/withdraw", json={"note": "再撤"}, headers=c.who("head"))
    assert_problem(r, 409, "illegal_transition")
    events = [e for e in await c.outbox() if e["aggregate_id"] == d["id"]]
    assert [e["type"] for e in events][-2:] == ["DocumentRepealed", "DocumentWithdrawn"]
    assert events[-2]["payload"] == events[-2]["payload"] | {
        "validity": "repealed",
        "effective_on": "2026-11-20",
        "category": "normative_document",
    }


async def test_stale_if_match_gets_412_and_changes_nothing(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    r = await c.client.patch(f"{API}/documents/{d['id']}", json={"title": "第一次修改"}, headers=c.who("handler"))
    assert r.status_code == 200
    stale = f'"{d["id"]}.{d["version"]}"'
    r = await c.client.patch(f"{API}/documents/{d['id']}", json={"title": "过期的修改"}, headers=c.who("handler") | {"If-Match": stale})
    assert_problem(r, 412, "stale_version")
    r = await c.client.post(f"{API}/documents/{d['id']}/submit", headers=c.who("handler") | {"If-Match": stale})
    assert_problem(r, 412, "stale_version")
    now = (await c.client.get(f"{API}/documents/{d['id']}", headers=c.who("handler"))).json()
    assert now["title"] == "第一次修改" and now["status"]["code"] == "draft"


async def test_officers_see_only_their_subtree(catalog_app) -> None:
    c = catalog_app
    d = await c.draft()
    other = c.who("handler", c.finance)
    assert_problem(await c.client.get(f"{API}/documents/{d['id']}", headers=other), 404, "document_not_found")
    assert_problem(await c.client.post(f"{API}/documents/{d['id']}/submit", headers=other), 404, "document_not_found")
    r = await c.client.post(
        f"{API}/documents",
        json={"agency_id": c.civil, "title": "越权", "body": "x", "category_code": "plan", "made_on": "2026-11-02"},
        headers=other,
    )
    assert_problem(r, 403, "agency_out_of_scope")
    county = c.who("supervisor", c.county)
    assert (await c.client.get(f"{API}/documents/{d['id']}", headers=county)).status_code == 200
    listed = (await c.client.get(f"{API}/documents", headers=other)).json()
    assert listed["total"] == 0
    assert (await c.client.get(f"{API}/documents", headers=c.who("handler"))).json()["total"] == 1
    assert_problem(await c.client.get(f"{API}/documents/{d['id']}"), 401)
    assert_problem(await c.client.post(f"{API}/documents/{d['id']}/approve", headers=c.who("applicant", None)), 403, "forbidden_role")


async def test_interpretation_is_shown_with_its_policy(catalog_app) -> None:
    c = catalog_app
    policy = await c.draft(title="青山县城乡低保实施办法", doc_number="青民〔2026〕8号")
    r = await c.client.post(
        f"{API}/documents",
        json={
            "agency_id": c.civil,
            "title": "解读",
            "body": "x",
            "category_code": "plan",
            "made_on": "2026-11-02",
            "interprets_id": policy["id"],
        },
        headers=c.who("handler"),
    )
    assert_problem(r, 422, "interpretation_category")
    reading = await c.draft(title="《青山县城乡低保实施办法》政策解读", category_code="policy_interpretation", interprets_id=policy["id"])
    await c.step(reading["id"], "submit", c.who("handler"))
    r = await c.client.post(f"{API}/documents/{reading['id']}/approve", headers=c.who("reviewer"))
    assert_problem(r, 409, "policy_not_published")
    await c.step(policy["id"], "submit", c.who("handler"))
    await c.step(policy["id"], "approve", c.who("reviewer"))
    await c.step(reading["id"], "approve", c.who("reviewer"))
    shown = (await c.client.get(f"{API}/public/documents/{policy['id']}")).json()
    assert [i["id"] for i in shown["interpretations"]] == [reading["id"]]
    back = (await c.client.get(f"{API}/public/documents/{reading['id']}")).json()
    assert back["policy"]["id"] == policy["id"] and back["policy"]["doc_number"] == "青民〔2026〕8号"


async def test_index_numbers_are_never_reused(catalog_app) -> None:
    c = catalog_app
    first = await c.draft()
    await c.publish()
    r = await c.client.post(f"{API}/documents/{first['id']}/submit", headers=c.who("handler"))
    assert r.status_code == 200
    numbers = set()
    async with c.app.state.runtime.sessions() as s:
        from sqlalchemy import select

        numbers = set((await s.execute(select(Document.index_number))).scalars())
    assert numbers == {f"{CODE_CIVIL}/2026-00001", f"{CODE_CIVIL}/2026-00002"}
    later = await c.draft(made_on="2026-11-03")
    assert later["index_number"] == f"{CODE_CIVIL}/2026-00003"
    assert date.fromisoformat(later["publish_due_on"]) > date(2026, 11, 3)
