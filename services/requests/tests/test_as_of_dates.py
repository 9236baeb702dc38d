"""Dates the office knows, not the server (issue #17, point 7): acts entered late keep their real day,
and scheduled lapses close on the statutory day, not on the day the scheduler ran."""

from __future__ import annotations

from datetime import date, timedelta

from services.requests.service.scheduler import run_once
from services.requests.tests.test_workflow_branches import CAL, People, act, assert_refused_without_change, assigned, last, view


async def test_a_withdrawal_letter_of_30_december_entered_in_january_counts_in_december(harness):
    h, p = harness, People(harness)
    h.set_today(date(2026, 12, 21))
    rid = await assigned(h, p)
    h.set_today(date(2027, 1, 5))
    letter = {"reason": "申请人来函撤回", "acted_on": "2026-12-30"}
    # Without saying why, in the future, or before the request's previous step: refused, nothing changed.
    await assert_refused_without_change(h, rid, "withdraw", letter, p.registrar, 422, "acted_on_reason_required", p.head)
    await assert_refused_without_change(
        h, rid, "withdraw", {**letter, "acted_on": "2027-01-06", "acted_on_reason": "来函日期"}, p.registrar, 422, "date_in_future", p.head
    )
    await assert_refused_without_change(
        h,
        rid,
        "withdraw",
        {**letter, "acted_on": "2026-12-20", "acted_on_reason": "来函日期"},
        p.registrar,
        422,
        "date_before_previous_step",
        p.head,
    )

    body = await act(h, rid, "withdraw", {**letter, "acted_on_reason": "信函12月30日收到，元旦后录入"}, p.registrar)
    assert body["state"] == "closed" and body["closed_on"] == "2026-12-30"
    [entry] = [e for e in (await view(h, rid, p.head))["timeline"] if e["action"] == "withdraw"]
    assert "实际发生于2026-12-30（2027-01-05录入）" in entry["note"] and "元旦后录入" in entry["note"]
    closed = last(await h.outbox_events(rid), "RequestClosed")
    assert closed["closed_on"] == "2026-12-30"


async def test_a_fee_notice_and_a_consultation_entered_late_run_their_periods_from_their_real_day(harness):
    h, p = harness, People(harness)
    rid, other = await assigned(h, p), await assigned(h, p)  # received 28 September 2026
    h.set_today(date(2026, 10, 16))
    body = await act(
        h,
        rid,
        "consultations",
        {
            "kind": "third_party",
            "party": "某某公司",
            "question": "是否同意公开？",
            "acted_on": "2026-10-12",
            "acted_on_reason": "征求意见函10月12日已寄出",
        },
        p.handler,
    )
    [consultation] = body["consultations"]
    assert consultation["sent_on"] == "2026-10-12"
    assert consultation["reply_due_on"] == CAL.add_workdays(date(2026, 10, 12), 15).isoformat()
    started = last(await h.outbox_events(rid), "ConsultationStarted")
    assert started["sent_on"] == "2026-10-12" and started["reply_due_on"] == consultation["reply_due_on"]

    h.set_today(date(2026, 10, 20))
    body = await act(h, other, "fee-notice", {"pages": 5000, "acted_on": "2026-10-14", "acted_on_reason": "纸质通知当日已送达"}, p.handler)
    assert body["fee"]["notice_on"] == "2026-10-14"
    assert body["fee"]["pay_by"] == CAL.add_workdays(date(2026, 10, 14), 20).isoformat()


async def test_a_correction_that_lapsed_before_a_holiday_closes_on_the_statutory_day(harness):
    h, p = harness, People(harness)
    rid = await assigned(h, p)
    body = await act(h, rid, "correction-notice", {"items": ["请说明所需信息的名称或文号"], "period_days": 5}, p.handler)
    last_day = date.fromisoformat(body["correction"]["due_on"])
    # The scheduler was down for a week (or it is the day after a long holiday): the lapse keeps its day.
    later = last_day + timedelta(days=8)
    result = await run_once(h.app.state.runtime.uow, later)
    assert result["corrections_lapsed"] == 1
    closed = await view(h, rid, p.head)
    assert closed["state"] == "closed" and closed["closed_on"] == (last_day + timedelta(days=1)).isoformat()
