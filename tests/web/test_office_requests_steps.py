"""Which steps the request page offers an officer, and the API bodies its forms make (pure rules, no browser)."""

from __future__ import annotations

from datetime import date

from services.web.office.requests_forms import body_of, check, values_of
from services.web.office.requests_steps import STEPS, Officer, allowed_steps


def _detail(*actions: str, **extra) -> dict:
    return {"id": "r1", "state": "in_progress", "allowed_actions": [{"action": a} for a in actions], **extra}


def _offered(detail: dict, sub: str, *roles: str) -> list[str]:
    return [s.action for s in allowed_steps(detail, Officer(sub, frozenset(roles)))]


def test_a_drafter_who_is_also_a_reviewer_is_not_offered_the_review_of_their_own_answer():
    detail = _detail("approve_review", "return_review", answers=[{"review_status": "pending", "proposed_by": "me"}])
    assert _offered(detail, "me", "handler", "reviewer") == []
    assert _offered(detail, "other", "reviewer") == ["approve_review", "return_review"]


def test_the_extension_is_decided_by_a_head_other_than_the_one_who_asked_and_asked_only_once():
    timeline = [{"action": "request_extension", "actor_sub": "me"}]
    detail = _detail("request_extension", "decide_extension", extension={"status": "requested"}, timeline=timeline, assignee_sub="me")
    assert _offered(detail, "me", "handler", "head") == []
    assert _offered(detail, "boss", "head") == ["decide_extension"]
    assert _offered(_detail("decide_extension"), "boss", "head") == []  # nothing asked: nothing to decide


def test_the_handlers_work_is_the_assignees_and_the_applicants_own_steps_stay_theirs():
    detail = _detail("request_correction", "propose_answer", "request_extension", "submit_correction", "withdraw", assignee_sub="h1")
    assert _offered(detail, "h2", "handler") == []
    assert _offered(detail, "h1", "handler") == ["request_correction", "propose_answer", "request_extension"]
    assert _offered(detail, "r1", "registrar") == ["request_correction", "submit_correction", "withdraw"]


def test_the_answer_form_makes_the_apis_body_and_refuses_what_the_law_does_not_list():
    step = STEPS["propose_answer"]
    form = {
        "category_reason": "partially_disclosed:separated",
        "letter": "部分公开",
        "exempt_parts": "第三部分涉及个人隐私\n\n第五部分",
        "version": "3",
    }
    values = values_of(step, form)
    assert check(step, values, {"category_reason": {"partially_disclosed:separated": "部分公开"}}, date(2026, 12, 7)) == {}
    body = body_of(step, values, ["doc-1"])
    assert body == {
        "category": "partially_disclosed",
        "reason": "separated",
        "letter": "部分公开",
        "exempt_parts": ["第三部分涉及个人隐私", "第五部分"],
        "document_ids": ["doc-1"],
    }
    bad = values_of(step, {**form, "category_reason": "other:no_correction"})
    assert "category_reason" in check(step, bad, {"category_reason": {"partially_disclosed:separated": "部分公开"}}, date(2026, 12, 7))


def test_an_act_entered_late_needs_its_reason():
    step = STEPS["start_consultation"]
    values = values_of(step, {"kind": "third_party", "party": "某公司", "question": "是否同意公开", "acted_on": "2026-12-01"})
    assert check(step, values, {}, date(2026, 12, 7)) == {"acted_on_reason": "填写了早于今天的实际发生日期，请说明补录原因"}
    values["acted_on_reason"] = "纸质征求意见函已于当日寄出"
    assert body_of(step, values, [])["acted_on"] == "2026-12-01"
