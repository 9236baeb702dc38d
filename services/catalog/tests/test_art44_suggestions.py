"""Art. 44 suggestions: real AnswerDispatched envelopes through the consumer handler, then the officers' API."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select

from services.catalog.adapters.orm import DisclosureSuggestion
from services.catalog.service.suggestions import on_answer_dispatched
from services.catalog.tests.conftest import API
from shared.contracts.requests import AnswerDispatched, ProvidedDocument
from shared.db import new_id
from shared.events import Actor
from shared.testing import assert_problem

FILE = hashlib.sha256("2025年度城乡低保资金发放明细".encode()).hexdigest()
OTHER_FILE = hashlib.sha256("2025年度临时救助发放明细".encode()).hexdigest()


async def dispatched(
    c,
    agency_id: str,
    applicant_sub: str | None,
    *files: tuple[str, str],
    answered_on: date = date(2026, 11, 10),
    category: str = "disclosed",
    tracking_number: str | None = None,
) -> None:
    """Run the consumer handler on one AnswerDispatched, in the app's own unit of work, as the consumer does."""
    request_id = new_id()
    event = AnswerDispatched(
        request_id=request_id,
        tracking_number=tracking_number or f"QS-2026-{request_id[-5:]}",
        agency_id=agency_id,
        state="answered",
        previous_state="answer_approved",
        applicant_sub=applicant_sub,
        applicant_type="natural_person",
        channel="online",
        answer_id=new_id(),
        category=category,
        reason="provided",
        answered_on=answered_on,
        on_time=True,
        working_days_taken=8,
        provided=[ProvidedDocument(sha256=sha, filename=name) for sha, name in files],
    )
    envelope = event.envelope(source="requests", aggregate_id=request_id, agency_id=agency_id, actor=Actor.system("test"))
    async with c.app.state.runtime.uow() as uow:
        await on_answer_dispatched(uow, envelope)
        await uow.commit()


async def suggestions(c, who: dict[str, str], status: str = "open") -> list[dict[str, Any]]:
    r = await c.client.get(f"{API}/suggestions", params={"status": status}, headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def rows(c) -> list[DisclosureSuggestion]:
    async with c.app.state.runtime.sessions() as s:
        return list((await s.execute(select(DisclosureSuggestion).order_by(DisclosureSuggestion.info_key))).scalars())


async def test_one_applicant_given_a_file_twice_counts_once(catalog_app) -> None:
    c = catalog_app
    await dispatched(c, c.civil, "citizen-1", (FILE, "低保发放明细.pdf"), tracking_number="QS-2026-00001")
    await dispatched(c, c.civil, "citizen-1", (FILE, "低保发放明细.pdf"), tracking_number="QS-2026-00002", answered_on=date(2026, 11, 12))
    [s] = await rows(c)
    assert s.applicant_count == 1 and s.tracking_numbers == ["QS-2026-00001", "QS-2026-00002"]
    assert s.first_given_on == date(2026, 11, 10) and s.last_given_on == date(2026, 11, 12)
    assert await suggestions(c, c.who("handler")) == []  # below the threshold of 2


async def test_two_applicants_given_the_same_file_make_a_suggestion_for_that_agency_only(catalog_app) -> None:
    c = catalog_app
    assert c.settings.suggestion_threshold == 2
    await dispatched(c, c.civil, "citizen-1", (FILE, "低保发放明细.pdf"), tracking_number="QS-2026-00001", answered_on=date(2026, 11, 12))
    await dispatched(
        c,
        c.civil,
        "citizen-2",
        (FILE, "明细.pdf"),
        (OTHER_FILE, "临时救助.pdf"),
        tracking_number="QS-2026-00002",
        answered_on=date(2026, 11, 5),
    )
    listed = await suggestions(c, c.who("handler"))
    assert len(listed) == 1
    s = listed[0]
    assert s["agency_id"] == c.civil and s["sha256"] == FILE and s["applicant_count"] == 2
    assert s["title"] == "低保发放明细.pdf" and s["status"] == "open"
    assert s["tracking_numbers"] == ["QS-2026-00001", "QS-2026-00002"]
    assert s["first_given_on"] == "2026-11-05" and s["last_given_on"] == "2026-11-12"
    assert "applicants" not in s and "citizen-1" not in str(s)  # who asked is never shown
    assert await suggestions(c, c.who("handler", c.finance)) == []
    assert [x["id"] for x in await suggestions(c, c.who("supervisor", c.county))] == [s["id"]]
    assert [x["id"] for x in await suggestions(c, c.who("admin"))] == [s["id"]]
    assert_problem(await c.client.get(f"{API}/suggestions", headers=c.who("applicant", None)), 403, "forbidden_role")
    assert_problem(await c.client.get(f"{API}/suggestions"), 401)


async def test_the_same_file_given_by_two_agencies_is_not_the_same_information(catalog_app) -> None:
    c = catalog_app
    await dispatched(c, c.civil, "citizen-1", (FILE, "明细.pdf"))
    await dispatched(c, c.finance, "citizen-2", (FILE, "明细.pdf"))
    assert sorted(s.agency_id for s in await rows(c)) == sorted([c.civil, c.finance])
    assert await suggestions(c, c.who("admin")) == []


async def test_applicants_without_an_account_count_per_request_and_refusals_count_nothing(catalog_app) -> None:
    c = catalog_app
    await dispatched(c, c.civil, None, (FILE, "明细.pdf"))
    await dispatched(c, c.civil, None, (FILE, "明细.pdf"))
    await dispatched(c, c.civil, "citizen-3", category="not_disclosed")  # nothing provided
    [s] = await suggestions(c, c.who("handler"))
    assert s["applicant_count"] == 2 and len(await rows(c)) == 1


async def two_applicants(c) -> str:
    await dispatched(c, c.civil, "citizen-1", (FILE, "低保发放明细.pdf"))
    await dispatched(c, c.civil, "citizen-2", (FILE, "低保发放明细.pdf"))
    [s] = await suggestions(c, c.who("handler"))
    return s["id"]


async def test_adopting_needs_a_published_document_of_the_same_agency(catalog_app) -> None:
    c = catalog_app
    sid = await two_applicants(c)
    head = c.who("head", sub="head-civil")
    draft = await c.draft(title="2025年度城乡低保资金发放情况（草稿）")
    theirs = await c.publish(agency_id=c.finance, title="2025年度财政资金发放情况", category_code="finance")
    for document_id in (draft["id"], theirs["id"], new_id()):
        problem = assert_problem(
            await c.client.post(f"{API}/suggestions/{sid}/adopt", json={"document_id": document_id}, headers=head), 422
        )
        assert problem["errors"][0]["field"] == "document_id"
    assert_problem(await c.client.post(f"{API}/suggestions/{sid}/adopt", json={}, headers=head), 422, "validation_failed")
    assert [s["id"] for s in await suggestions(c, c.who("handler"))] == [sid]

    mine = await c.publish(title="2025年度城乡低保资金发放情况")
    assert_problem(
        await c.client.post(f"{API}/suggestions/{sid}/adopt", json={"document_id": mine["id"]}, headers=c.who("handler")),
        403,
        "forbidden_role",
    )
    r = await c.client.post(f"{API}/suggestions/{sid}/adopt", json={"document_id": mine["id"]}, headers=head)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "adopted" and r.json()["document_id"] == mine["id"] and r.json()["decided_by"] == "head-civil"
    assert await suggestions(c, c.who("handler")) == []
    assert [s["id"] for s in await suggestions(c, c.who("handler"), "adopted")] == [sid]

    # Decided once is decided.
    assert_problem(
        await c.client.post(f"{API}/suggestions/{sid}/adopt", json={"document_id": mine["id"]}, headers=head), 409, "suggestion_decided"
    )
    assert_problem(
        await c.client.post(f"{API}/suggestions/{sid}/dismiss", json={"note": "改主意了"}, headers=head), 409, "suggestion_decided"
    )
    # More applicants later do not reopen it.
    await dispatched(c, c.civil, "citizen-3", (FILE, "低保发放明细.pdf"))
    assert await suggestions(c, c.who("handler")) == []
    assert (await suggestions(c, c.who("handler"), "adopted"))[0]["applicant_count"] == 3


async def test_dismissing_needs_a_note_and_happens_once(catalog_app) -> None:
    c = catalog_app
    sid = await two_applicants(c)
    head = c.who("head")
    assert_problem(await c.client.post(f"{API}/suggestions/{sid}/dismiss", json={}, headers=head), 422, "validation_failed")
    assert_problem(await c.client.post(f"{API}/suggestions/{sid}/dismiss", json={"note": "   "}, headers=head), 422, "validation_failed")
    assert [s["id"] for s in await suggestions(c, c.who("handler"))] == [sid]

    r = await c.client.post(f"{API}/suggestions/{sid}/dismiss", json={"note": "涉及个人隐私，不宜主动公开"}, headers=head)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dismissed" and r.json()["note"] == "涉及个人隐私，不宜主动公开"
    assert await suggestions(c, c.who("handler")) == []
    assert [s["id"] for s in await suggestions(c, c.who("handler"), "dismissed")] == [sid]
    assert_problem(await c.client.post(f"{API}/suggestions/{sid}/dismiss", json={"note": "再次"}, headers=head), 409, "suggestion_decided")
    mine = await c.publish()
    assert_problem(
        await c.client.post(f"{API}/suggestions/{sid}/adopt", json={"document_id": mine["id"]}, headers=head), 409, "suggestion_decided"
    )
    assert (await rows(c))[0].status == "dismissed"


async def test_another_agencys_suggestion_looks_like_none_at_all(catalog_app) -> None:
    c = catalog_app
    sid = await two_applicants(c)
    other_head = c.who("head", c.finance)
    missing = assert_problem(await c.client.post(f"{API}/suggestions/{new_id()}/dismiss", json={"note": "不公开"}, headers=other_head), 404)
    hidden = assert_problem(await c.client.post(f"{API}/suggestions/{sid}/dismiss", json={"note": "不公开"}, headers=other_head), 404)
    assert hidden["code"] == missing["code"] == "suggestion_not_found" and hidden["detail"] == missing["detail"]
    assert (await rows(c))[0].status == "open"
