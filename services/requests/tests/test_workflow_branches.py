"""Every branch of the 依申请公开 workflow end to end: HTTP API, real database, real broker.

Each test drives a request through the API and checks both what the request looks like
afterwards and the events written to the outbox for it (types in order and the payload
fields the notify and audit services rely on).

Dates are chosen so the arithmetic can be checked by hand. A request received on Monday
2026-09-28 is due on 2026-10-30: 2026-10-01..07 are the National Day holidays and
Saturday 2026-10-10 is an adjusted working day. Working days counted from 2026-09-28:

    09-29 1 | 09-30 2 | 10-08 3 | 10-09 4 | 10-10 5 | 10-12 6 | 10-13 7 | 10-14 8 | 10-15 9 | 10-16 10
    10-19 11 | 10-20 12 | ... | 10-23 15 | 10-26 16 | ... | 10-30 20 | 11-02 21 | ... | 11-06 25 | 11-10 27
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.requests.domain.answers import REASONS
from services.requests.domain.clock import Pause, PauseKind, RuleSet, compute_due
from services.requests.domain.workflow import State, allowed_actions
from services.requests.service.scheduler import run_once
from services.requests.tests.conftest import API, request_body
from shared.testing import issue_dev_token
from shared.workdays import WorkCalendar

CAL = WorkCalendar()
RECEIVED = date(2026, 9, 28)  # a Monday, three days before the National Day holidays
DUE = date(2026, 10, 30)  # 20 working days later under the 2019 rules
CONTACT = {"name": "张三", "mobile": "13800138000", "email": "zhangsan@example.com", "address": "某某县人民路1号"}
SYSTEM_ONLY_PAIRS = {("other", "no_correction"), ("other", "fee_unpaid")}
PROPOSABLE = [(c.value, r) for c, reasons in REASONS.items() for r in reasons if (c.value, r) not in SYSTEM_ONLY_PAIRS]
START = ["RequestSubmitted", "RequestReceived", "RequestAssigned"]


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def test_the_arithmetic_the_tests_rely_on():
    """The calendar facts the dates below are built on (the 2026 official calendar)."""
    assert CAL.add_workdays(RECEIVED, 20) == DUE
    assert CAL.kind(date(2026, 10, 10))[0].value == "adjusted_workday"
    assert all(not CAL.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert CAL.workdays_between(RECEIVED, date(2026, 10, 13)) == 7
    assert CAL.workdays_between(RECEIVED, date(2026, 10, 14)) == 8
    assert len(PROPOSABLE) == sum(len(r) for r in REASONS.values()) - 2


# -- helpers -----------------------------------------------------------------------------------------


class People:
    """Distinct people for each role, so separation-of-duties rules hold."""

    def __init__(self, h) -> None:
        self.h = h
        self.applicant = h.who("applicant", sub="citizen-1")
        self.registrar = h.who("registrar", sub="registrar-1")
        self.handler = h.who("handler", sub="handler-1")
        self.reviewer = h.who("reviewer", sub="reviewer-1")
        self.reviewer2 = h.who("reviewer", sub="reviewer-2")
        self.head = h.who("head", sub="head-1")
        self.supervisor = h.who("supervisor", agency=h.county, sub="supervisor-1")
        self.admin = h.who("admin", sub="admin-1")

    def holding(self, sub: str, *roles: str) -> dict[str, str]:
        """A user holding several roles at once (e.g. handler and head)."""
        token = issue_dev_token(self.h.settings, sub=sub, roles=list(roles), agency_id=self.h.agency_a)
        return {"Authorization": f"Bearer {token}"}


async def submit(h, who: dict[str, str], **overrides: Any) -> dict[str, Any]:
    r = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, **overrides), headers=who)
    assert r.status_code == 201, r.text
    return r.json()


async def register(h, who: dict[str, str], channel: str, received_on: date | None = None, expect: int = 201) -> dict[str, Any]:
    body = {**request_body(h.agency_a), "channel": channel}
    if received_on is not None:
        body["received_on"] = received_on.isoformat()
    r = await h.client.post(f"{API}/registrations", json=body, headers=who)
    assert r.status_code == expect, r.text
    return r.json()


async def act(
    h,
    rid: str,
    path: str,
    body: dict[str, Any],
    who: dict[str, str],
    expect: int = 200,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    r = await h.client.post(f"{API}/requests/{rid}/{path}", json=body, headers={**who, **(headers or {})})
    assert r.status_code == expect, f"{path}: {r.status_code} {r.text}"
    if code is not None:
        assert r.json()["code"] == code, r.text
    return r.json()


async def view(h, rid: str, who: dict[str, str]) -> dict[str, Any]:
    r = await h.client.get(f"{API}/requests/{rid}", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


async def assigned(h, p: People, **overrides: Any) -> str:
    """A request submitted online today and assigned to handler-1 by head-1."""
    rid = (await submit(h, p.applicant, **overrides))["id"]
    body = await act(h, rid, "assign", {"assignee_sub": "handler-1"}, p.head)
    assert body["state"] == "in_progress" and body["assignee_sub"] == "handler-1"
    return rid


async def answer_through_review(h, p: People, rid: str, answer: dict[str, Any], reviewer: dict[str, str] | None = None) -> dict[str, Any]:
    assert (await act(h, rid, "answer", answer, p.handler))["state"] == "under_review"
    assert (await act(h, rid, "review/approve", {}, reviewer or p.reviewer))["state"] == "approved"
    body = await act(h, rid, "answer/dispatch", {}, p.handler)
    assert body["state"] == "answered"
    return body


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e["payload"] for e in events if e["type"] == kind]


def last(events: list[dict], kind: str) -> dict:
    found = of_type(events, kind)
    assert found, f"no {kind} among {[e['type'] for e in events]}"
    return found[-1]


async def assert_refused_without_change(
    h,
    rid: str,
    path: str,
    body: dict[str, Any],
    who: dict[str, str],
    status: int,
    code: str,
    observer: dict[str, str],
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The action is refused with `status`/`code`, and the request and its events are exactly as before."""
    before = await h.client.get(f"{API}/requests/{rid}", headers=observer)
    events_before = await h.outbox_events(rid)
    problem = await act(h, rid, path, body, who, expect=status, code=code, headers=headers)
    after = await h.client.get(f"{API}/requests/{rid}", headers=observer)
    assert after.headers["ETag"] == before.headers["ETag"]
    b, a = before.json(), after.json()
    for key in (
        "state",
        "version",
        "round",
        "due_on",
        "clock_start",
        "outcome",
        "answers",
        "timeline",
        "extension",
        "fee",
        "correction",
        "later_due",
        "remedies",
        "consultations",
    ):
        assert a[key] == b[key], key
    assert await h.outbox_events(rid) == events_before
    return problem


# -- 1. every answer type and sub-reason ------------------------------------------------------------


def answer_for(category: str, reason: str) -> dict[str, Any]:
    body: dict[str, Any] = {"category": category, "reason": reason, "letter": f"经审查，答复如下：{category}/{reason}。"}
    if category == "partially_disclosed":
        body["exempt_parts"] = ["第三页涉及第三方个人隐私，不予公开（第十五条）"]
    if (category, reason) == ("cannot_provide", "not_held"):
        body["referral"] = {"agency_name": "某某县财政局", "contact": "0531-12345678，某某县人民路2号"}
    return body


@pytest.mark.parametrize(("category", "reason"), PROPOSABLE, ids=[f"{c}-{r}" for c, r in PROPOSABLE])
async def test_every_proposable_answer_goes_through_review_and_is_dispatched(harness, category, reason):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 20))
    answer = answer_for(category, reason)
    body = await answer_through_review(h, p, rid, answer)

    assert body["outcome"]["category"] == category and body["outcome"]["reason"] == reason
    assert body["outcome"]["reason_label"] == REASONS[category][reason]
    assert body["answered_on"] == "2026-10-20" and body["answered_on_time"] is True
    [stored] = body["answers"]
    assert (stored["category"], stored["reason"], stored["round"]) == (category, reason, 1)
    assert stored["proposed_by"] == "handler-1" and stored["reviewed_by"] == "reviewer-1" and stored["review_status"] == "approved"
    assert stored["dispatched_on"] == "2026-10-20"
    if category == "partially_disclosed":
        assert stored["exempt_parts"] == answer["exempt_parts"]
    if (category, reason) == ("cannot_provide", "not_held"):
        assert stored["referral"] == answer["referral"]
        # the applicant is told which agency holds the information and how to reach it (Art. 36(5))
        mine = await view(h, rid, p.applicant)
        assert mine["answers"][0]["referral"] == {"agency_name": "某某县财政局", "contact": "0531-12345678，某某县人民路2号"}

    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["AnswerProposed", "ReviewApproved", "AnswerDispatched"]
    proposed = last(events, "AnswerProposed")
    assert (proposed["category"], proposed["reason"]) == (category, reason)
    assert proposed["contact"] is None  # internal steps carry no personal contact data
    dispatched = last(events, "AnswerDispatched")
    assert (dispatched["category"], dispatched["reason"]) == (category, reason)
    assert dispatched["answer_id"] == stored["id"] == proposed["answer_id"]
    assert dispatched["answered_on"] == "2026-10-20" and dispatched["on_time"] is True
    assert dispatched["working_days_taken"] == CAL.workdays_between(RECEIVED, date(2026, 10, 20)) == 12
    assert dispatched["state"] == "answered" and dispatched["previous_state"] == "approved" and dispatched["round"] == 1
    assert dispatched["due_on"] == iso(DUE)
    assert dispatched["contact"] == CONTACT


@pytest.mark.parametrize("reason", ["no_correction", "fee_unpaid"])
async def test_system_only_answer_types_cannot_be_proposed(harness, reason):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    await assert_refused_without_change(
        h,
        rid,
        "answer",
        {"category": "other", "reason": reason, "letter": "不再处理。"},
        p.handler,
        422,
        "answer_type_not_proposable",
        p.head,
    )
    assert (await view(h, rid, p.head))["state"] == "in_progress"


async def test_partial_disclosure_needs_exempt_parts_and_reasons_must_match_their_category(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    partial = {"category": "partially_disclosed", "reason": "separated", "letter": "部分公开。"}
    await assert_refused_without_change(h, rid, "answer", partial, p.handler, 422, "validation_failed", p.head)
    await assert_refused_without_change(h, rid, "answer", {**partial, "exempt_parts": []}, p.handler, 422, "validation_failed", p.head)
    mismatched = {"category": "disclosed", "reason": "state_secret", "letter": "……"}
    await assert_refused_without_change(h, rid, "answer", mismatched, p.handler, 422, "validation_failed", p.head)
    body = await act(h, rid, "answer", {**partial, "exempt_parts": ["附件二涉及商业秘密"]}, p.handler)
    assert body["state"] == "under_review" and body["answers"][0]["exempt_parts"] == ["附件二涉及商业秘密"]


# -- 2. receipt per channel (Art. 31) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "given", "received"),
    [
        ("in_person", None, RECEIVED),  # handed in: received that day
        ("oral", None, RECEIVED),  # Art. 29/43: filled in by the registrar on the spot
        ("registered_post", date(2026, 9, 25), date(2026, 9, 25)),  # the day the agency signed for it
        ("letter", None, None),  # ordinary post: received once confirmed with the applicant
        ("fax", None, None),
        ("email", None, None),
    ],
)
async def test_registration_fixes_the_receipt_date_by_channel(harness, channel, given, received):
    h, p = harness, People(harness)
    body = await register(h, p.registrar, channel, given)
    rid = body["id"]
    assert body["channel"] == channel
    assert body["received_on"] == iso(received) and body["clock_start"] == iso(received)
    types = await h.outbox_types(rid)
    if received is None:
        assert body["state"] == "pending_receipt" and body["due_on"] is None and body["due"] is None
        assert body["paused"] is True and body["days_remaining"] is None
        assert types == ["RequestSubmitted"]
    else:
        due = CAL.add_workdays(received, 20)
        assert body["state"] == "received" and body["due_on"] == iso(due) and body["due"]["start"] == iso(received)
        assert types == ["RequestSubmitted", "RequestReceived"]
        rec = last(await h.outbox_events(rid), "RequestReceived")
        assert rec["received_on"] == iso(received) and rec["due_on"] == iso(due) and rec["contact"] == CONTACT
    submitted = last(await h.outbox_events(rid), "RequestSubmitted")
    assert submitted["channel"] == channel and submitted["contact"] == CONTACT and submitted["applicant_sub"] is None


async def test_a_letter_is_received_on_the_confirmed_date_and_the_clock_runs_from_it(harness):
    h, p = harness, People(harness)
    rid = (await register(h, p.registrar, "letter"))["id"]
    h.set_today(date(2026, 9, 30))
    await assert_refused_without_change(
        h, rid, "confirm-receipt", {"received_on": "2026-10-08"}, p.registrar, 422, "date_in_future", p.head
    )
    # nothing else can happen before receipt is confirmed
    await assert_refused_without_change(h, rid, "assign", {"assignee_sub": "handler-1"}, p.head, 409, "illegal_transition", p.head)

    body = await act(h, rid, "confirm-receipt", {"received_on": "2026-09-29"}, p.registrar)
    assert body["state"] == "received" and body["received_on"] == "2026-09-29" and body["clock_start"] == "2026-09-29"
    assert body["due_on"] == iso(CAL.add_workdays(date(2026, 9, 29), 20)) == "2026-11-02"
    assert body["due"]["start"] == "2026-09-29" and body["due"]["answer_days"] == 20
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == ["RequestSubmitted", "RequestReceived"]
    received = last(events, "RequestReceived")
    assert received["received_on"] == "2026-09-29" and received["due_on"] == "2026-11-02"
    assert received["previous_state"] == "pending_receipt" and received["state"] == "received" and received["contact"] == CONTACT
    await assert_refused_without_change(
        h, rid, "confirm-receipt", {"received_on": "2026-09-30"}, p.registrar, 409, "illegal_transition", p.head
    )


async def test_registration_refuses_missing_signing_dates_future_dates_and_online_channels(harness):
    h, p = harness, People(harness)
    problem = await register(h, p.registrar, "registered_post", expect=422)
    assert problem["code"] == "receipt_date_required" and problem["errors"][0]["field"] == "received_on"
    problem = await register(h, p.registrar, "registered_post", date(2026, 9, 29), expect=422)
    assert problem["code"] == "date_in_future"
    problem = await register(h, p.registrar, "in_person", date(2026, 9, 29), expect=422)
    assert problem["code"] == "date_in_future"
    problem = await register(h, p.registrar, "online", expect=422)
    assert problem["code"] == "channel_not_registrable"
    queue = await h.client.get(f"{API}/queue", headers=p.head)
    assert queue.status_code == 200 and queue.json()["total"] == 0  # nothing was stored


async def test_an_online_request_is_received_at_once(harness):
    h, p = harness, People(harness)
    body = await submit(h, p.applicant)
    assert body["state"] == "received" and body["channel"] == "online"
    assert body["received_on"] == iso(RECEIVED) and body["due_on"] == iso(DUE) and body["days_remaining"] == 20
    events = await h.outbox_events(body["id"])
    assert [e["type"] for e in events] == ["RequestSubmitted", "RequestReceived"]
    assert all(e["payload"]["applicant_sub"] == "citizen-1" and e["payload"]["contact"] == CONTACT for e in events)


# -- 3. correction (Art. 30) -------------------------------------------------------------------------


async def test_correction_is_requested_once_and_restarts_the_clock_from_the_corrected_request(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))  # the 4th working day after receipt
    items = ["请提供所需信息的文号或标题", "请说明所需信息的年度"]
    body = await act(h, rid, "correction-notice", {"items": items, "period_days": 15}, p.handler)
    correction_due = CAL.add_workdays(date(2026, 10, 9), 15)
    assert correction_due == date(2026, 10, 29)
    assert body["state"] == "awaiting_correction"
    assert body["correction"] == {"items": items, "requested_on": "2026-10-09", "due_on": "2026-10-29"}
    assert body["paused"] is True and body["days_remaining"] is None
    requested = last(await h.outbox_events(rid), "CorrectionRequested")
    assert requested["items"] == items and requested["correction_due_on"] == "2026-10-29"
    assert requested["state"] == "awaiting_correction" and requested["previous_state"] == "in_progress" and requested["contact"] == CONTACT
    # while waiting, a second notice is not a legal step at all
    await assert_refused_without_change(h, rid, "correction-notice", {"items": ["再补一项"]}, p.handler, 409, "illegal_transition", p.head)

    h.set_today(date(2026, 10, 16))
    body = await act(
        h,
        rid,
        "correction",
        {"description": "请公开2025年度城乡低保资金发放情况（民政局2025年第3号文）", "document_number": "某民发〔2025〕3号"},
        p.applicant,
    )
    new_due = CAL.add_workdays(date(2026, 10, 16), 20)
    assert new_due == date(2026, 11, 13)
    assert body["state"] == "in_progress"  # it had been assigned
    assert body["clock_start"] == "2026-10-16" and body["received_on"] == iso(RECEIVED)
    assert body["due_on"] == "2026-11-13" and body["due"]["start"] == "2026-10-16"
    assert body["document_number"] == "某民发〔2025〕3号" and "第3号文" in body["description"]
    submitted = last(await h.outbox_events(rid), "CorrectionSubmitted")
    assert submitted["received_on"] == "2026-10-16" and submitted["due_on"] == "2026-11-13" and submitted["contact"] == CONTACT

    h.set_today(date(2026, 10, 19))
    await assert_refused_without_change(
        h, rid, "correction-notice", {"items": ["再补一项"]}, p.handler, 409, "correction_already_requested", p.head
    )

    h.set_today(date(2026, 11, 13))
    body = await answer_through_review(h, p, rid, answer_for("disclosed", "provided"))
    assert body["answered_on_time"] is True
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + [
        "CorrectionRequested",
        "CorrectionSubmitted",
        "AnswerProposed",
        "ReviewApproved",
        "AnswerDispatched",
    ]
    dispatched = last(events, "AnswerDispatched")
    assert dispatched["on_time"] is True and dispatched["working_days_taken"] == 20 and dispatched["due_on"] == "2026-11-13"


async def test_correction_notice_must_go_out_within_7_working_days_of_receipt(harness):
    h, p = harness, People(harness)
    late, in_time = await assigned(h, p), await assigned(h, p)
    h.set_today(date(2026, 10, 14))  # 8th working day
    await assert_refused_without_change(
        h, late, "correction-notice", {"items": ["请补充文号"]}, p.handler, 409, "correction_window_passed", p.head
    )
    h.set_today(date(2026, 10, 13))  # 7th working day: still in time
    body = await act(h, in_time, "correction-notice", {"items": ["请补充文号"]}, p.registrar)
    assert body["state"] == "awaiting_correction"
    assert body["correction"]["due_on"] == iso(CAL.add_workdays(date(2026, 10, 13), 15))  # default period: 15 working days


async def test_a_received_request_can_be_sent_for_correction_before_assignment_and_returns_to_received(harness):
    h, p = harness, People(harness)
    rid = (await submit(h, p.applicant))["id"]
    await act(h, rid, "correction-notice", {"items": ["请补充文号"]}, p.registrar)
    h.set_today(date(2026, 9, 30))
    body = await act(h, rid, "correction", {"description": "补正后的申请内容"}, p.registrar)  # a registrar may file it for the applicant
    assert body["state"] == "received" and body["clock_start"] == "2026-09-30"
    assert body["due_on"] == iso(CAL.add_workdays(date(2026, 9, 30), 20))


async def test_no_correction_in_time_closes_the_request_as_abandoned(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 9, 30))
    body = await act(h, rid, "correction-notice", {"items": ["请补充文号"], "period_days": 5}, p.handler)
    assert body["correction"]["due_on"] == iso(CAL.add_workdays(date(2026, 9, 30), 5)) == "2026-10-13"

    new_uow = h.app.state.runtime.uow
    done = await run_once(new_uow, date(2026, 10, 13))  # the last day of the period: not yet
    assert done["corrections_lapsed"] == 0
    assert (await view(h, rid, p.head))["state"] == "awaiting_correction"

    done = await run_once(new_uow, date(2026, 10, 14))
    assert done["corrections_lapsed"] == 1
    h.set_today(date(2026, 10, 14))
    body = await view(h, rid, p.head)
    assert body["state"] == "closed" and body["closed_on"] == "2026-10-14"
    assert body["outcome"]["category"] == "other" and body["outcome"]["reason"] == "no_correction"
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["CorrectionRequested", "RequestClosed"]
    closed = events[-1]
    assert closed["actor"]["kind"] == "system"
    assert closed["payload"]["category"] == "other" and closed["payload"]["reason"] == "no_correction"
    assert closed["payload"]["closed_on"] == "2026-10-14" and closed["payload"]["previous_state"] == "awaiting_correction"
    assert closed["payload"]["contact"] == CONTACT
    # a late correction finds the request closed; a second pass does nothing
    await assert_refused_without_change(h, rid, "correction", {"description": "迟到的补正"}, p.applicant, 409, "illegal_transition", p.head)
    assert (await run_once(new_uow, date(2026, 10, 15)))["corrections_lapsed"] == 0
    assert len(await h.outbox_events(rid)) == len(events)


# -- 4. consultation (Art. 32, 34) -------------------------------------------------------------------


def consultation(kind: str = "third_party", party: str = "某某商贸有限公司") -> dict[str, Any]:
    return {
        "kind": kind,
        "party": party,
        "party_contact": "0531-87654321",
        "question": "拟公开的合同涉及贵公司商业秘密，请于15个工作日内提出意见",
    }


async def test_a_consultation_pauses_the_clock_until_the_reply(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    body = await act(h, rid, "consultations", consultation(), p.handler)
    assert body["state"] == "consulting" and body["paused"] is True and body["due"]["provisional"] is True
    [c] = body["consultations"]
    assert c["sent_on"] == "2026-10-09" and c["reply_due_on"] == iso(CAL.add_workdays(date(2026, 10, 9), 15)) == "2026-10-29"
    started = last(await h.outbox_events(rid), "ConsultationStarted")
    assert started["consultation_id"] == c["id"] and started["consultation_kind"] == "third_party"
    assert started["party"] == "某某商贸有限公司" and started["reply_due_on"] == "2026-10-29" and started["contact"] is None

    h.set_today(date(2026, 10, 15))
    body = await act(
        h,
        rid,
        f"consultations/{c['id']}/reply",
        {"opinion": "objection", "opinion_text": "涉及商业秘密，不同意公开", "replied_on": "2026-10-15"},
        p.handler,
    )
    paused_days = CAL.workdays_between(date(2026, 10, 9), date(2026, 10, 15))
    assert paused_days == 5
    assert body["state"] == "in_progress" and body["paused"] is False
    assert body["due_on"] == iso(CAL.add_workdays(DUE, paused_days)) == "2026-11-06"
    assert body["due"]["pauses"] == [{"kind": "third_party", "start": "2026-10-09", "end": "2026-10-15"}]
    assert sorted(s["day"] for s in body["due"]["skipped_days"] if s["kind"] == "paused") == [
        "2026-10-10",
        "2026-10-12",
        "2026-10-13",
        "2026-10-14",
        "2026-10-15",
    ]
    assert body["consultations"][0]["opinion"] == "objection" and body["consultations"][0]["replied_on"] == "2026-10-15"
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["ConsultationStarted", "ConsultationReplied"]
    replied = events[-1]["payload"]
    assert replied["consultation_id"] == c["id"] and replied["opinion"] == "objection" and replied["silent"] is False
    assert replied["due_on"] == "2026-11-06" and replied["state"] == "in_progress"

    h.set_today(date(2026, 10, 16))
    await assert_refused_without_change(
        h,
        rid,
        f"consultations/{c['id']}/reply",
        {"opinion": "consent", "replied_on": "2026-10-16"},
        p.handler,
        409,
        "illegal_transition",
        p.head,
    )


async def test_two_open_consultations_keep_the_request_consulting_until_both_replied(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    first = (await act(h, rid, "consultations", consultation(), p.handler))["consultations"][0]["id"]
    h.set_today(date(2026, 10, 12))
    body = await act(h, rid, "consultations", consultation("inter_agency", "某某县财政局"), p.handler)
    assert body["state"] == "consulting"
    second = next(c["id"] for c in body["consultations"] if c["id"] != first)

    h.set_today(date(2026, 10, 13))
    body = await act(h, rid, f"consultations/{first}/reply", {"opinion": "consent", "replied_on": "2026-10-13"}, p.registrar)
    assert body["state"] == "consulting" and body["paused"] is True
    await assert_refused_without_change(
        h,
        rid,
        f"consultations/{first}/reply",
        {"opinion": "objection", "replied_on": "2026-10-13"},
        p.handler,
        409,
        "consultation_closed",
        p.head,
    )
    await assert_refused_without_change(
        h,
        rid,
        f"consultations/{second}/reply",
        {"opinion": "consent", "replied_on": "2026-10-11"},
        p.handler,
        422,
        "reply_before_consultation",
        p.head,
    )
    await assert_refused_without_change(
        h,
        rid,
        f"consultations/{second}/reply",
        {"opinion": "consent", "replied_on": "2026-10-14"},
        p.handler,
        422,
        "date_in_future",
        p.head,
    )

    h.set_today(date(2026, 10, 15))
    body = await act(
        h, rid, f"consultations/{second}/reply", {"opinion": "other", "opinion_text": "请依法处理", "replied_on": "2026-10-15"}, p.handler
    )
    assert body["state"] == "in_progress" and body["paused"] is False
    # (10-09, 10-13] and (10-12, 10-15] overlap: the union is 10-10, 10-12 .. 10-15, five working days, each counted once
    assert sorted(s["day"] for s in body["due"]["skipped_days"] if s["kind"] == "paused") == [
        "2026-10-10",
        "2026-10-12",
        "2026-10-13",
        "2026-10-14",
        "2026-10-15",
    ]
    assert body["due_on"] == iso(CAL.add_workdays(DUE, 5)) == "2026-11-06"
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + [
        "ConsultationStarted",
        "ConsultationStarted",
        "ConsultationReplied",
        "ConsultationReplied",
    ]
    replies = of_type(events, "ConsultationReplied")
    assert [(r["consultation_id"], r["opinion"], r["state"]) for r in replies] == [
        (first, "consent", "consulting"),
        (second, "other", "in_progress"),
    ]
    assert [s["consultation_kind"] for s in of_type(events, "ConsultationStarted")] == ["third_party", "inter_agency"]


async def test_silence_after_15_working_days_leaves_the_decision_to_the_agency(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    cid = (await act(h, rid, "consultations", consultation(), p.handler))["consultations"][0]["id"]
    new_uow = h.app.state.runtime.uow

    assert (await run_once(new_uow, date(2026, 10, 29)))["consultations_lapsed"] == 0  # the reply is due that day
    assert (await view(h, rid, p.head))["state"] == "consulting"
    assert (await run_once(new_uow, date(2026, 10, 30)))["consultations_lapsed"] == 1

    h.set_today(date(2026, 10, 30))
    body = await view(h, rid, p.head)
    assert body["state"] == "in_progress" and body["paused"] is False
    [c] = body["consultations"]
    assert c["opinion"] == "silence" and c["replied_on"] == "2026-10-29"
    # the whole 15-working-day consultation (10-09, 10-29] is excluded from the answer period
    assert body["due_on"] == iso(CAL.add_workdays(DUE, 15)) == "2026-11-20"
    assert body["due"]["pauses"] == [{"kind": "third_party", "start": "2026-10-09", "end": "2026-10-29"}]
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["ConsultationStarted", "ConsultationReplied"]
    assert events[-1]["actor"]["kind"] == "system"
    silent = events[-1]["payload"]
    assert silent["consultation_id"] == cid and silent["opinion"] == "silence" and silent["silent"] is True
    assert silent["due_on"] == "2026-11-20"
    await assert_refused_without_change(
        h,
        rid,
        f"consultations/{cid}/reply",
        {"opinion": "objection", "replied_on": "2026-10-30"},
        p.handler,
        409,
        "illegal_transition",
        p.head,
    )


async def test_a_consultation_left_open_by_a_withdrawal_does_not_revive_the_closed_request(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    await act(h, rid, "consultations", consultation(), p.handler)
    h.set_today(date(2026, 10, 12))
    body = await act(h, rid, "withdraw", {"reason": "不再需要"}, p.applicant)
    assert body["state"] == "closed" and body["due"]["pauses"] == [{"kind": "third_party", "start": "2026-10-09", "end": "2026-10-12"}]
    events = await h.outbox_events(rid)

    await run_once(h.app.state.runtime.uow, date(2026, 10, 30))  # the consultation's reply period has run out meanwhile
    h.set_today(date(2026, 10, 30))
    body = await view(h, rid, p.head)
    assert body["state"] == "closed" and body["outcome"]["reason"] == "other" and body["closed_on"] == "2026-10-12"
    assert body["due"]["pauses"] == [{"kind": "third_party", "start": "2026-10-09", "end": "2026-10-12"}]
    assert await h.outbox_events(rid) == events


# -- 5. processing fee (国办函〔2020〕109号) -----------------------------------------------------------


async def test_a_fee_by_pages_pauses_the_clock_until_payment(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    body = await act(h, rid, "fee-notice", {"pages": 40, "note": "共40页"}, p.handler)
    pay_by = CAL.add_workdays(date(2026, 10, 9), 20)
    assert pay_by == date(2026, 11, 5)
    assert body["state"] == "awaiting_fee" and body["paused"] is True
    assert body["fee"] == {"amount_yuan": 100, "method": "pages", "notice_on": "2026-10-09", "pay_by": "2026-11-05", "paid_on": None}
    notice = last(await h.outbox_events(rid), "FeeNoticeIssued")
    assert notice["amount_yuan"] == 100 and notice["method"] == "pages" and notice["pay_by"] == "2026-11-05"
    assert notice["state"] == "awaiting_fee" and notice["contact"] == CONTACT

    h.set_today(date(2026, 10, 15))
    problem = await assert_refused_without_change(
        h, rid, "payment", {"paid_on": "2026-10-15", "amount_yuan": 50}, p.handler, 422, "fee_amount_mismatch", p.head
    )
    assert problem["errors"][0]["field"] == "amount_yuan"
    await assert_refused_without_change(
        h, rid, "payment", {"paid_on": "2026-10-16", "amount_yuan": 100}, p.handler, 422, "date_in_future", p.head
    )
    body = await act(h, rid, "payment", {"paid_on": "2026-10-15", "amount_yuan": 100}, p.registrar)
    assert body["state"] == "in_progress" and body["paused"] is False and body["fee"]["paid_on"] == "2026-10-15"
    assert body["due"]["pauses"] == [{"kind": "fee", "start": "2026-10-09", "end": "2026-10-15"}]
    assert body["due_on"] == iso(CAL.add_workdays(DUE, CAL.workdays_between(date(2026, 10, 9), date(2026, 10, 15)))) == "2026-11-06"
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["FeeNoticeIssued", "FeePaid"]
    paid = events[-1]["payload"]
    assert paid["amount_yuan"] == 100 and paid["due_on"] == "2026-11-06" and paid["state"] == "in_progress"
    await assert_refused_without_change(h, rid, "fee-notice", {"pages": 50}, p.handler, 409, "fee_already_noticed", p.head)


@pytest.mark.parametrize("pages", [0, 10, 30])
async def test_no_fee_within_the_free_volume(harness, pages):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    await assert_refused_without_change(h, rid, "fee-notice", {"pages": pages}, p.handler, 422, "no_fee_due", p.head)


async def test_a_fee_by_item_from_the_11th_request_of_the_month_and_never_both(harness):
    h, p = harness, People(harness)
    ids = [(await submit(h, p.applicant, description=f"请公开第{i}项信息"))["id"] for i in range(1, 13)]
    for rid in ids[9:]:
        await act(h, rid, "assign", {"assignee_sub": "handler-1"}, p.head)
    tenth, eleventh, twelfth = ids[9:]
    await assert_refused_without_change(h, tenth, "fee-notice", {"pages": 0}, p.handler, 422, "no_fee_due", p.head)
    body = await act(h, eleventh, "fee-notice", {"pages": 20}, p.handler)
    assert body["fee"]["amount_yuan"] == 100 and body["fee"]["method"] == "item"
    # 50 pages cost 200 yuan, more than the 100-yuan item fee: the higher one is charged, not 300
    body = await act(h, twelfth, "fee-notice", {"pages": 50}, p.handler)
    assert body["fee"]["amount_yuan"] == 200 and body["fee"]["method"] == "pages"
    notice = last(await h.outbox_events(eleventh), "FeeNoticeIssued")
    assert notice["amount_yuan"] == 100 and notice["method"] == "item"


async def test_an_unpaid_fee_closes_the_request_after_20_working_days(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    await act(h, rid, "fee-notice", {"pages": 40}, p.handler)
    new_uow = h.app.state.runtime.uow
    assert (await run_once(new_uow, date(2026, 11, 5)))["fees_lapsed"] == 0  # pay_by itself is still in time
    assert (await view(h, rid, p.head))["state"] == "awaiting_fee"
    assert (await run_once(new_uow, date(2026, 11, 6)))["fees_lapsed"] == 1

    h.set_today(date(2026, 11, 6))
    body = await view(h, rid, p.head)
    assert body["state"] == "closed" and body["closed_on"] == "2026-11-06"
    assert body["outcome"]["category"] == "other" and body["outcome"]["reason"] == "fee_unpaid"
    assert body["fee"]["paid_on"] is None
    assert body["due"]["pauses"] == [{"kind": "fee", "start": "2026-10-09", "end": "2026-11-06"}]
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["FeeNoticeIssued", "RequestClosed"]
    closed = events[-1]
    assert closed["actor"]["kind"] == "system" and closed["payload"]["previous_state"] == "awaiting_fee"
    assert (closed["payload"]["category"], closed["payload"]["reason"]) == ("other", "fee_unpaid")
    assert closed["payload"]["closed_on"] == "2026-11-06" and closed["payload"]["contact"] == CONTACT
    await assert_refused_without_change(
        h, rid, "payment", {"paid_on": "2026-11-06", "amount_yuan": 100}, p.handler, 409, "illegal_transition", p.head
    )


# -- 6. extension (Art. 33) --------------------------------------------------------------------------


async def test_one_extension_of_at_most_20_working_days_approved_by_the_head(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 20))
    await assert_refused_without_change(
        h, rid, "extension", {"days": 21, "reason": "涉及面广"}, p.handler, 422, "validation_failed", p.head
    )
    await assert_refused_without_change(h, rid, "extension/decision", {"approve": True}, p.head, 409, "no_extension_pending", p.head)

    body = await act(h, rid, "extension", {"days": 20, "reason": "涉及多个科室，需协调汇总"}, p.handler)
    assert body["state"] == "in_progress" and body["due_on"] == iso(DUE)
    assert body["extension"] == {"status": "requested", "days": 20, "reason": "涉及多个科室，需协调汇总"}
    requested = last(await h.outbox_events(rid), "ExtensionRequested")
    assert requested["days"] == 20 and requested["contact"] is None

    await assert_refused_without_change(h, rid, "extension/decision", {"approve": True}, p.handler, 403, "forbidden_role", p.head)
    body = await act(h, rid, "extension/decision", {"approve": True, "note": "同意延期"}, p.head)
    extended = CAL.add_workdays(DUE, 20)
    assert extended == date(2026, 11, 27)
    assert body["due_on"] == "2026-11-27" and body["due"]["extension_days"] == 20 and body["due"]["computed_due_on"] == "2026-11-27"
    assert body["extension"]["status"] == "approved" and body["extension"]["days"] == 20
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["ExtensionRequested", "ExtensionDecided"]
    decided = events[-1]["payload"]
    assert decided["approved"] is True and decided["days"] == 20 and decided["decided_by"] == "head-1"
    assert decided["due_on"] == "2026-11-27" and decided["contact"] == CONTACT  # the applicant is told (Art. 33)

    await assert_refused_without_change(
        h, rid, "extension", {"days": 5, "reason": "再延期"}, p.handler, 409, "extension_already_used", p.head
    )
    await assert_refused_without_change(h, rid, "extension/decision", {"approve": True}, p.head, 409, "no_extension_pending", p.head)

    h.set_today(date(2026, 11, 27))
    body = await answer_through_review(h, p, rid, answer_for("disclosed", "provided"))
    assert body["answered_on_time"] is True
    dispatched = last(await h.outbox_events(rid), "AnswerDispatched")
    assert dispatched["on_time"] is True and dispatched["working_days_taken"] == 40


async def test_a_head_cannot_approve_their_own_extension_request(harness):
    h, p = harness, People(harness)
    boss = p.holding("boss-1", "handler", "head")
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 20))
    await act(h, rid, "extension", {"days": 10, "reason": "需调取档案"}, boss)
    await assert_refused_without_change(h, rid, "extension/decision", {"approve": True}, boss, 403, "separation_of_duties", p.head)
    body = await act(h, rid, "extension/decision", {"approve": False, "note": "无需延期"}, p.head)
    assert body["extension"]["status"] == "rejected" and body["due_on"] == iso(DUE)
    rejected = last(await h.outbox_events(rid), "ExtensionDecided")
    assert rejected["approved"] is False and rejected["days"] == 0 and rejected["decided_by"] == "head-1"


async def test_the_2008_rules_give_15_plus_15_working_days(harness):
    h, p = harness, People(harness)
    r = await h.client.put(f"{API}/agencies/{h.agency_a}/rule-set", json={"rule_set": "2008"}, headers=p.admin)
    assert r.status_code == 200, r.text
    rid = await assigned(h, p)
    body = await view(h, rid, p.head)
    due_2008 = CAL.add_workdays(RECEIVED, 15)
    assert due_2008 == date(2026, 10, 23)
    assert body["rule_set"] == "2008" and body["due_on"] == "2026-10-23"
    assert body["due"]["rule_set"] == "2008" and body["due"]["answer_days"] == 15
    # another agency keeps the deployment default (2019)
    other = await h.client.post(f"{API}/requests", json=request_body(h.agency_b), headers=p.applicant)
    assert other.status_code == 201 and other.json()["rule_set"] == "2019" and other.json()["due_on"] == iso(DUE)

    h.set_today(date(2026, 10, 16))
    problem = await assert_refused_without_change(
        h, rid, "extension", {"days": 16, "reason": "涉及面广"}, p.handler, 422, "extension_too_long", p.head
    )
    assert problem["errors"][0]["field"] == "days"
    await act(h, rid, "extension", {"days": 15, "reason": "涉及面广"}, p.handler)
    body = await act(h, rid, "extension/decision", {"approve": True}, p.head)
    assert body["due_on"] == iso(CAL.add_workdays(due_2008, 15)) == "2026-11-13"
    decided = last(await h.outbox_events(rid), "ExtensionDecided")
    assert decided["days"] == 15 and decided["due_on"] == "2026-11-13"


# -- 7. confidentiality review (Art. 17) -------------------------------------------------------------


async def test_a_returned_answer_is_revised_and_approved_by_another_reviewer(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 20))
    await act(h, rid, "answer", answer_for("disclosed", "provided"), p.handler)
    await assert_refused_without_change(h, rid, "review/return", {}, p.reviewer, 422, "validation_failed", p.head)
    body = await act(h, rid, "review/return", {"note": "第三页涉及第三方个人信息，请区分处理"}, p.reviewer)
    assert body["state"] == "in_progress"
    assert body["answers"][0]["review_status"] == "returned" and body["answers"][0]["review_note"] == "第三页涉及第三方个人信息，请区分处理"
    returned = last(await h.outbox_events(rid), "ReviewReturned")
    assert returned["reviewer_sub"] == "reviewer-1" and returned["note"] == "第三页涉及第三方个人信息，请区分处理"
    assert returned["state"] == "in_progress" and returned["previous_state"] == "under_review"

    revised = answer_for("partially_disclosed", "separated")
    body = await act(h, rid, "answer", revised, p.handler)
    assert body["state"] == "under_review"
    body = await act(h, rid, "review/approve", {"note": "已区分处理"}, p.reviewer2)
    assert body["state"] == "approved"
    body = await act(h, rid, "answer/dispatch", {"delivery_form": "paper"}, p.registrar)
    assert body["state"] == "answered" and body["outcome"]["category"] == "partially_disclosed"
    by_status = {a["review_status"]: a for a in body["answers"]}
    assert set(by_status) == {"returned", "approved"}
    assert by_status["approved"]["reviewed_by"] == "reviewer-2" and by_status["approved"]["delivery_form"] == "paper"
    assert by_status["returned"]["dispatched_on"] is None

    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + [
        "AnswerProposed",
        "ReviewReturned",
        "AnswerProposed",
        "ReviewApproved",
        "AnswerDispatched",
    ]
    proposals = of_type(events, "AnswerProposed")
    assert proposals[0]["answer_id"] != proposals[1]["answer_id"]
    approved = last(events, "ReviewApproved")
    assert approved["reviewer_sub"] == "reviewer-2" and approved["answer_id"] == proposals[1]["answer_id"] == by_status["approved"]["id"]
    dispatched = last(events, "AnswerDispatched")
    assert (dispatched["category"], dispatched["reason"]) == ("partially_disclosed", "separated")
    assert dispatched["answer_id"] == by_status["approved"]["id"]
    # the applicant sees only the dispatched answer
    mine = await view(h, rid, p.applicant)
    assert [a["id"] for a in mine["answers"]] == [by_status["approved"]["id"]]


async def test_a_reviewer_cannot_clear_their_own_answer(harness):
    h, p = harness, People(harness)
    dual = p.holding("dual-1", "handler", "reviewer")
    rid = await assigned(h, p)
    await act(h, rid, "answer", answer_for("not_disclosed", "internal_affairs"), dual)
    await assert_refused_without_change(h, rid, "review/approve", {}, dual, 403, "separation_of_duties", p.head)
    await assert_refused_without_change(h, rid, "review/return", {"note": "自行退回"}, dual, 403, "separation_of_duties", p.head)
    body = await act(h, rid, "review/approve", {}, p.reviewer)
    assert (
        body["state"] == "approved" and body["answers"][0]["proposed_by"] == "dual-1" and body["answers"][0]["reviewed_by"] == "reviewer-1"
    )


# -- 8. illegal transitions --------------------------------------------------------------------------


async def _illegal(h, p: People, rid: str, path: str, body: dict[str, Any], who: dict[str, str], state: str) -> None:
    problem = await assert_refused_without_change(h, rid, path, body, who, 409, "illegal_transition", p.head)
    assert problem["current_state"] == state
    assert problem["allowed_actions"] == [a.value for a in allowed_actions(State(state))]


async def test_illegal_transitions_are_refused_with_the_current_state_and_change_nothing(harness):
    h, p = harness, People(harness)
    rid = (await submit(h, p.applicant))["id"]
    await _illegal(h, p, rid, "review/approve", {}, p.reviewer, "received")  # approve with nothing proposed
    await _illegal(h, p, rid, "consultations", consultation(), p.handler, "received")
    await act(h, rid, "assign", {"assignee_sub": "handler-1"}, p.head)
    await _illegal(h, p, rid, "review/approve", {}, p.reviewer, "in_progress")
    await _illegal(h, p, rid, "payment", {"paid_on": "2026-09-28", "amount_yuan": 0}, p.handler, "in_progress")  # no fee notice
    await _illegal(h, p, rid, "answer/dispatch", {}, p.handler, "in_progress")
    await _illegal(h, p, rid, "confirm-receipt", {"received_on": "2026-09-28"}, p.registrar, "in_progress")
    await act(h, rid, "answer", answer_for("disclosed", "already_public"), p.handler)
    await _illegal(h, p, rid, "answer/dispatch", {}, p.handler, "under_review")  # dispatch before review
    await _illegal(h, p, rid, "answer", answer_for("disclosed", "provided"), p.handler, "under_review")
    await _illegal(h, p, rid, "fee-notice", {"pages": 40}, p.handler, "under_review")
    await act(h, rid, "review/approve", {}, p.reviewer)
    await _illegal(h, p, rid, "review/return", {"note": "再看看"}, p.reviewer, "approved")
    await act(h, rid, "answer/dispatch", {}, p.handler)
    await _illegal(h, p, rid, "assign", {"assignee_sub": "handler-2"}, p.head, "answered")
    await _illegal(h, p, rid, "extension", {"days": 5, "reason": "迟了"}, p.handler, "answered")
    assert await h.outbox_types(rid) == START + ["AnswerProposed", "ReviewApproved", "AnswerDispatched"]


# -- 9. withdrawal ---------------------------------------------------------------------------------


async def test_the_applicant_withdraws_an_open_request_but_not_an_answered_one(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 12))
    body = await act(h, rid, "withdraw", {"reason": "已通过其他途径获得"}, p.applicant)
    assert body["state"] == "closed" and body["closed_on"] == "2026-10-12"
    assert body["outcome"]["category"] == "other" and body["outcome"]["reason"] == "other"
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["RequestClosed"]
    closed = events[-1]
    assert closed["actor"]["sub"] == "citizen-1" and closed["actor"]["role"] == "applicant"
    assert (closed["payload"]["category"], closed["payload"]["reason"]) == ("other", "other")
    assert closed["payload"]["closed_on"] == "2026-10-12" and closed["payload"]["note"] == "已通过其他途径获得"
    assert closed["payload"]["previous_state"] == "in_progress" and closed["payload"]["contact"] == CONTACT
    await _illegal(h, p, rid, "withdraw", {}, p.applicant, "closed")

    answered = await assigned(h, p)
    await answer_through_review(h, p, answered, answer_for("disclosed", "provided"))
    await _illegal(h, p, answered, "withdraw", {"reason": "不需要了"}, p.applicant, "answered")


async def test_withdrawing_while_the_fee_is_awaited_ends_the_pause(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 9))
    await act(h, rid, "fee-notice", {"pages": 40}, p.handler)
    h.set_today(date(2026, 10, 13))
    body = await act(h, rid, "withdraw", {}, p.registrar)
    assert body["state"] == "closed" and body["paused"] is False
    assert body["due"]["pauses"] == [{"kind": "fee", "start": "2026-10-09", "end": "2026-10-13"}]
    closed = last(await h.outbox_events(rid), "RequestClosed")
    assert closed["reason"] == "other" and closed["previous_state"] == "awaiting_fee"


# -- 10. a later answer date (Art. 35) ---------------------------------------------------------------


async def test_the_head_sets_a_later_answer_date_for_excessive_requests(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    h.set_today(date(2026, 10, 12))
    reason = "申请人本月已提交申请40件，数量明显超过合理范围"
    for earlier in ("2026-10-20", "2026-10-30"):
        problem = await assert_refused_without_change(
            h, rid, "later-answer-date", {"later_due_on": earlier, "reason": reason}, p.head, 422, "later_date_not_later", p.head
        )
        assert problem["errors"][0]["field"] == "later_due_on"
    await assert_refused_without_change(
        h, rid, "later-answer-date", {"later_due_on": "2026-11-20", "reason": reason}, p.handler, 403, "forbidden_role", p.head
    )
    body = await act(h, rid, "later-answer-date", {"later_due_on": "2026-11-20", "reason": reason}, p.head)
    assert body["due_on"] == "2026-11-20" and body["later_due"] == {"due_on": "2026-11-20", "reason": reason}
    assert (
        body["due"]["due_on"] == "2026-11-20" and body["due"]["computed_due_on"] == iso(DUE) and body["due"]["later_due_on"] == "2026-11-20"
    )
    later = last(await h.outbox_events(rid), "LaterAnswerDateSet")
    assert later["later_due_on"] == "2026-11-20" and later["due_on"] == "2026-11-20" and later["contact"] == CONTACT

    h.set_today(date(2026, 11, 10))  # after the statutory date, before the date the applicant was told
    body = await answer_through_review(h, p, rid, answer_for("disclosed", "provided"))
    assert body["answered_on_time"] is True
    dispatched = last(await h.outbox_events(rid), "AnswerDispatched")
    assert dispatched["on_time"] is True and dispatched["working_days_taken"] == 27
    assert await h.outbox_types(rid) == START + ["LaterAnswerDateSet", "AnswerProposed", "ReviewApproved", "AnswerDispatched"]


# -- 11. remedies (Art. 51) --------------------------------------------------------------------------


async def test_a_corrected_remedy_reopens_the_request_for_a_second_round(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    remedy = {"kind": "reconsideration", "filed_on": "2026-09-28", "authority": "某某县人民政府"}
    # nothing to contest yet: neither answered nor past its due date
    refused = await assert_refused_without_change(h, rid, "remedies", remedy, p.handler, 409, "remedy_not_yet_possible", p.head)
    assert refused["current_state"] == "in_progress"

    h.set_today(date(2026, 10, 20))
    first = await answer_through_review(h, p, rid, answer_for("not_disclosed", "process_information"))
    first_answer = first["answers"][0]["id"]

    h.set_today(date(2026, 10, 26))
    body = await act(h, rid, "remedies", {**remedy, "filed_on": "2026-10-23", "case_number": "某复〔2026〕12号"}, p.handler)
    assert body["state"] == "answered"
    [reconsideration] = body["remedies"]
    assert (
        reconsideration["kind"] == "reconsideration"
        and reconsideration["outcome"] == "pending"
        and reconsideration["filed_on"] == "2026-10-23"
    )
    body = await act(h, rid, f"remedies/{reconsideration['id']}/decision", {"outcome": "upheld", "decided_on": "2026-10-26"}, p.head)
    assert body["state"] == "answered" and body["round"] == 1 and body["outcome"]["category"] == "not_disclosed"
    assert body["remedies"][0]["outcome"] == "upheld" and body["remedies"][0]["decided_on"] == "2026-10-26"
    await assert_refused_without_change(
        h,
        rid,
        f"remedies/{reconsideration['id']}/decision",
        {"outcome": "corrected", "decided_on": "2026-10-26"},
        p.head,
        409,
        "remedy_decided",
        p.head,
    )

    h.set_today(date(2026, 10, 28))
    body = await act(
        h,
        rid,
        "remedies",
        {"kind": "litigation_after_reconsideration", "filed_on": "2026-10-28", "authority": "某某县人民法院"},
        p.supervisor,
    )
    litigation = next(x for x in body["remedies"] if x["kind"] == "litigation_after_reconsideration")
    body = await act(h, rid, "remedies", {"kind": "complaint", "filed_on": "2026-10-28", "authority": "某某市人民政府办公室"}, p.handler)
    complaint = next(x for x in body["remedies"] if x["kind"] == "complaint")
    await assert_refused_without_change(
        h,
        rid,
        f"remedies/{litigation['id']}/decision",
        {"outcome": "pending", "decided_on": "2026-10-28"},
        p.handler,
        422,
        "outcome_required",
        p.head,
    )

    h.set_today(date(2026, 11, 10))
    body = await act(
        h,
        rid,
        f"remedies/{litigation['id']}/decision",
        {"outcome": "corrected", "decided_on": "2026-11-10", "note": "判决责令重新答复"},
        p.handler,
    )
    new_due = CAL.add_workdays(date(2026, 11, 10), 20)
    assert new_due == date(2026, 12, 8)
    assert body["state"] == "in_progress" and body["round"] == 2
    assert body["clock_start"] == "2026-11-10" and body["due_on"] == "2026-12-08" and body["due"]["start"] == "2026-11-10"
    assert body["outcome"] is None and body["answered_on"] is None and body["days_remaining"] == 20
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events][-2:] == ["RemedyDecided", "RequestReopened"]
    decided, reopened = events[-2]["payload"], events[-1]["payload"]
    assert decided["remedy_id"] == litigation["id"] and decided["outcome"] == "corrected" and decided["decided_on"] == "2026-11-10"
    assert decided["remedy_kind"] == "litigation_after_reconsideration"
    assert reopened["remedy_id"] == litigation["id"] and reopened["round"] == 2 and reopened["state"] == "in_progress"
    assert reopened["previous_state"] == "answered" and reopened["received_on"] == "2026-11-10" and reopened["due_on"] == "2026-12-08"
    assert reopened["contact"] == CONTACT

    # a second 'corrected' while the request is already reopened is recorded, but does not reopen it again
    body = await act(h, rid, f"remedies/{complaint['id']}/decision", {"outcome": "corrected", "decided_on": "2026-11-10"}, p.handler)
    assert body["state"] == "in_progress" and body["round"] == 2 and body["due_on"] == "2026-12-08"

    h.set_today(date(2026, 11, 20))
    body = await answer_through_review(h, p, rid, answer_for("disclosed", "provided"), reviewer=p.reviewer2)
    assert body["round"] == 2 and body["outcome"]["category"] == "disclosed" and body["answered_on_time"] is True
    assert sorted((a["round"], a["category"]) for a in body["answers"]) == [(1, "not_disclosed"), (2, "disclosed")]
    assert next(a for a in body["answers"] if a["round"] == 1)["id"] == first_answer

    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + [
        "AnswerProposed",
        "ReviewApproved",
        "AnswerDispatched",
        "RemedyRecorded",
        "RemedyDecided",
        "RemedyRecorded",
        "RemedyRecorded",
        "RemedyDecided",
        "RequestReopened",
        "RemedyDecided",
        "AnswerProposed",
        "ReviewApproved",
        "AnswerDispatched",
    ]
    recorded = of_type(events, "RemedyRecorded")
    assert [(r["remedy_kind"], r["filed_on"], r["against_silence"]) for r in recorded] == [
        ("reconsideration", "2026-10-23", False),
        ("litigation_after_reconsideration", "2026-10-28", False),
        ("complaint", "2026-10-28", False),
    ]
    assert [d["outcome"] for d in of_type(events, "RemedyDecided")] == ["upheld", "corrected", "corrected"]
    dispatches = of_type(events, "AnswerDispatched")
    assert [d["round"] for d in dispatches] == [1, 2]
    second = dispatches[1]
    assert (second["category"], second["reason"]) == ("disclosed", "provided") and second["on_time"] is True
    assert (
        second["due_on"] == "2026-12-08"
        and second["working_days_taken"] == CAL.workdays_between(date(2026, 11, 10), date(2026, 11, 20)) == 8
    )
    assert all(e["payload"]["round"] == 2 for e in events[-4:])


# -- 12. optimistic concurrency ----------------------------------------------------------------------


async def test_a_stale_if_match_is_refused_and_the_current_one_accepted(harness):
    h, p = harness, People(harness)
    rid = (await submit(h, p.applicant))["id"]
    first = await h.client.get(f"{API}/requests/{rid}", headers=p.head)
    stale = first.headers["ETag"]
    r = await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers={**p.head, "If-Match": stale})
    assert r.status_code == 200, r.text
    current = r.headers["ETag"]
    assert current != stale and r.json()["version"] == first.json()["version"] + 1

    problem = await assert_refused_without_change(
        h, rid, "correction-notice", {"items": ["请补充文号"]}, p.handler, 412, "stale_version", p.head, headers={"If-Match": stale}
    )
    assert problem["current_version"] == r.json()["version"]
    fresh = await h.client.get(f"{API}/requests/{rid}", headers=p.handler)
    assert fresh.headers["ETag"] == current
    body = await act(h, rid, "correction-notice", {"items": ["请补充文号"]}, p.handler, headers={"If-Match": fresh.headers["ETag"]})
    assert body["state"] == "awaiting_correction"
    assert await h.outbox_types(rid) == START + ["CorrectionRequested"]


# -- 13. correction of records (Art. 41) -------------------------------------------------------------


async def test_a_record_correction_request_is_answered_with_its_result(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p, kind="record_correction", description="本人户籍登记信息中出生日期有误，请予更正，附出生医学证明")
    h.set_today(date(2026, 10, 16))
    answer = {"category": "other", "reason": "other", "letter": "经核实，已更正您的出生日期记录。", "record_correction_result": "corrected"}
    body = await answer_through_review(h, p, rid, answer)
    assert body["kind"] == "record_correction" and body["answers"][0]["record_correction_result"] == "corrected"
    assert body["outcome"]["category"] == "other" and body["outcome"]["reason"] == "other"
    mine = await view(h, rid, p.applicant)
    assert mine["answers"][0]["record_correction_result"] == "corrected"
    events = await h.outbox_events(rid)
    assert [e["type"] for e in events] == START + ["AnswerProposed", "ReviewApproved", "AnswerDispatched"]
    assert all(e["payload"]["kind"] == "record_correction" for e in events)
    dispatched = events[-1]["payload"]
    assert (dispatched["category"], dispatched["reason"]) == ("other", "other") and dispatched["contact"] == CONTACT


async def test_a_fee_paid_after_its_deadline_is_refused_and_changes_nothing(harness):
    h = harness
    rid = await _fee_request_paid_late_setup(h)
    before = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("handler", sub="handler-1"))).json()
    late = date.fromisoformat(before["fee"]["pay_by"]) + timedelta(days=1)
    h.set_today(late)
    r = await h.client.post(
        f"{API}/requests/{rid}/payment",
        json={"paid_on": late.isoformat(), "amount_yuan": before["fee"]["amount_yuan"]},
        headers=h.who("handler", sub="handler-1"),
    )
    assert r.status_code == 409 and r.json()["code"] == "fee_payment_late"
    after = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("handler", sub="handler-1"))).json()
    assert after["state"] == "awaiting_fee" and after["version"] == before["version"]


async def _fee_request_paid_late_setup(h) -> str:
    created = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-fee"))
    rid = created.json()["id"]
    await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=h.who("head", sub="head-1"))
    notice = await h.client.post(f"{API}/requests/{rid}/fee-notice", json={"pages": 40}, headers=h.who("handler", sub="handler-1"))
    assert notice.status_code == 200, notice.text
    return rid


async def test_a_consultation_reply_after_its_deadline_pauses_the_clock_only_until_the_deadline(harness):
    h = harness
    created = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-late"))
    rid = created.json()["id"]
    handler = h.who("handler", sub="handler-1")
    await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": "handler-1"}, headers=h.who("head", sub="head-1"))
    h.set_today(date(2026, 10, 12))
    started = await h.client.post(
        f"{API}/requests/{rid}/consultations",
        json={"kind": "third_party", "party": "某某公司", "question": "是否同意公开"},
        headers=handler,
    )
    consultation = started.json()["consultations"][0]
    reply_due = date.fromisoformat(consultation["reply_due_on"])
    late = WorkCalendar().add_workdays(reply_due, 3)
    h.set_today(late)
    replied = await h.client.post(
        f"{API}/requests/{rid}/consultations/{consultation['id']}/reply",
        json={"opinion": "objection", "replied_on": late.isoformat()},
        headers=handler,
    )
    assert replied.status_code == 200, replied.text
    pauses = replied.json()["due"]["pauses"]
    assert pauses == [{"kind": "third_party", "start": "2026-10-12", "end": reply_due.isoformat()}]
    expected = compute_due(
        WorkCalendar(),
        date(2026, 9, 28),
        RuleSet.rules_2019,
        pauses=[Pause(PauseKind.third_party, date(2026, 10, 12), reply_due)],
        today=late,
    ).due
    assert replied.json()["due_on"] == expected.isoformat()


async def test_a_reconsideration_against_silence_is_recorded_once_the_answer_period_has_run_out(harness):
    """Issue #17: 逾期不答复 is one of the commonest grounds for 行政复议, and it was refused with 409."""
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    due = date.fromisoformat((await view(h, rid, p.head))["due_on"])
    remedy = {"kind": "reconsideration", "filed_on": due.isoformat(), "authority": "某某县人民政府"}
    h.set_today(due)
    # The last day of the period is still the agency's.
    await assert_refused_without_change(h, rid, "remedies", remedy, p.handler, 409, "remedy_not_yet_possible", p.head)

    assert "record_remedy" not in [a["action"] for a in (await view(h, rid, p.handler))["allowed_actions"]]

    h.set_today(due + timedelta(days=3))
    assert "record_remedy" in [a["action"] for a in (await view(h, rid, p.handler))["allowed_actions"]]
    filed = (due + timedelta(days=1)).isoformat()
    body = await act(h, rid, "remedies", {**remedy, "filed_on": filed, "case_number": "某复〔2026〕30号"}, p.handler)
    assert body["state"] == "in_progress" and body["round"] == 1
    [silence] = body["remedies"]
    assert silence["outcome"] == "pending" and silence["filed_on"] == filed
    recorded = last(await h.outbox_events(rid), "RemedyRecorded")
    assert recorded["against_silence"] is True and recorded["state"] == "in_progress"

    # The authority orders an answer: recorded; the request, still open, keeps its round and its clock.
    body = await act(
        h, rid, f"remedies/{silence['id']}/decision", {"outcome": "corrected", "decided_on": filed, "note": "责令限期答复"}, p.head
    )
    assert body["state"] == "in_progress" and body["round"] == 1 and body["remedies"][0]["outcome"] == "corrected"
    assert "RequestReopened" not in await h.outbox_types(rid)


async def test_no_remedy_against_silence_while_the_clock_waits_for_the_applicant(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    due = date.fromisoformat((await view(h, rid, p.head))["due_on"])
    await act(h, rid, "correction-notice", {"items": ["请说明所需信息的文号或名称"], "period_days": 15}, p.handler)
    h.set_today(due + timedelta(days=5))
    remedy = {"kind": "reconsideration", "filed_on": (due + timedelta(days=5)).isoformat(), "authority": "某某县人民政府"}
    await assert_refused_without_change(h, rid, "remedies", remedy, p.handler, 409, "remedy_not_yet_possible", p.head)
