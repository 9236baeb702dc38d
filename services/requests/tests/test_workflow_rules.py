"""The request state machine table and the answer types of the annual report (table 三)."""

from __future__ import annotations

from datetime import date

import pytest

from services.requests.domain import answers
from services.requests.domain.answers import CATEGORY_LABELS, REASONS, SYSTEM_ONLY, AnswerCategory, is_valid_answer, needs_documents
from services.requests.domain.workflow import (
    ACTION_LABELS,
    ACTION_ROLES,
    CLOCK_STOPPED,
    FINISHED_STATES,
    OPEN_STATES,
    STATE_LABELS,
    TRANSITIONS,
    Action,
    State,
    allowed_actions,
    can,
    remedy_against_silence_allowed,
    target,
)
from shared.auth import Role

REMEDY_ACTIONS = {Action.record_remedy, Action.decide_remedy}


# -- the table is complete -------------------------------------------------------------------


def test_every_action_has_roles_a_transition_and_a_label():
    assert set(TRANSITIONS) == set(Action)
    assert set(ACTION_ROLES) == set(Action)
    assert set(ACTION_LABELS) == set(Action)
    for action in Action:
        sources, _ = TRANSITIONS[action]
        assert sources, action
        assert ACTION_ROLES[action], action
        assert all(isinstance(r, Role) for r in ACTION_ROLES[action])


def test_every_state_has_a_chinese_label_and_is_open_or_finished():
    assert set(STATE_LABELS) == set(State)
    assert OPEN_STATES | FINISHED_STATES == set(State)
    assert not OPEN_STATES & FINISHED_STATES
    assert FINISHED_STATES == {State.answered, State.closed}
    assert CLOCK_STOPPED <= OPEN_STATES


def test_no_action_leads_to_pending_receipt():
    assert all(to != State.pending_receipt for _, to in TRANSITIONS.values())


def test_every_state_is_reachable_from_pending_receipt():
    seen, frontier = {State.pending_receipt}, [State.pending_receipt]
    while frontier:
        state = frontier.pop()
        for action in allowed_actions(state):
            nxt = target(action, state)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    # awaiting_correction → received/in_progress and consulting → in_progress are decided by the
    # service (None target); every state is still reached by some explicit transition
    assert seen == set(State)


def test_only_the_applicant_or_a_registrar_acting_for_them_may_withdraw_or_correct():
    assert set(ACTION_ROLES[Action.withdraw]) == {Role.applicant, Role.registrar}
    assert set(ACTION_ROLES[Action.submit_correction]) == {Role.applicant, Role.registrar}
    officer_only = set(Action) - {Action.withdraw, Action.submit_correction}
    assert all(Role.applicant not in ACTION_ROLES[a] for a in officer_only)


def test_the_head_of_the_office_decides_extensions_and_reviewers_review():
    assert ACTION_ROLES[Action.decide_extension] == (Role.head,)  # Art. 33: 工作机构负责人同意
    assert ACTION_ROLES[Action.set_later_answer_date] == (Role.head,)
    assert set(ACTION_ROLES[Action.approve_review]) == {Role.reviewer}  # Art. 17 保密审查
    assert set(ACTION_ROLES[Action.return_review]) == {Role.reviewer}
    assert Role.reviewer not in ACTION_ROLES[Action.propose_answer]  # whoever drafts does not review


# -- finished states ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", sorted(FINISHED_STATES))
def test_answered_and_closed_requests_allow_only_remedy_actions(state):
    assert set(allowed_actions(state)) == REMEDY_ACTIONS
    for action in REMEDY_ACTIONS:
        assert target(action, state) == state


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_an_open_request_takes_a_remedy_only_against_silence_past_its_due_date(state):
    """Art. 51: 逾期不答复 may be contested; a request within its period, or whose clock waits, may not."""
    due = date(2026, 10, 30)
    running = state in {State.received, State.in_progress, State.under_review, State.approved}
    assert remedy_against_silence_allowed(state, due, date(2026, 11, 2)) == running
    assert not remedy_against_silence_allowed(state, due, due)  # the last day is still the agency's
    assert not remedy_against_silence_allowed(state, None, date(2026, 11, 2))


@pytest.mark.parametrize("state", sorted(FINISHED_STATES))
def test_a_finished_request_takes_a_remedy_whatever_its_dates(state):
    assert remedy_against_silence_allowed(state, None, date(2026, 1, 1))


# -- withdrawal ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(State))
def test_withdraw_is_allowed_from_every_open_state_and_no_finished_one(state):
    assert can(Action.withdraw, state) == (state in OPEN_STATES)
    if state in OPEN_STATES:
        assert target(Action.withdraw, state) == State.closed
        assert Action.withdraw in allowed_actions(state)


# -- targets --------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [a for a in Action if TRANSITIONS[a][1] is None])
def test_an_action_without_a_target_keeps_the_state(action):
    for state in TRANSITIONS[action][0]:
        assert target(action, state) == state


@pytest.mark.parametrize("action", [a for a in Action if TRANSITIONS[a][1] is not None])
def test_an_action_with_a_target_leads_there_from_every_source(action):
    sources, to = TRANSITIONS[action]
    for state in sources:
        assert target(action, state) == to


@pytest.mark.parametrize("state", list(State))
def test_allowed_actions_agrees_with_can(state):
    assert allowed_actions(state) == [a for a in Action if can(a, state)]


def test_the_state_keeping_actions_are_the_expected_ones():
    assert {a for a in Action if TRANSITIONS[a][1] is None} == {
        Action.submit_correction,
        Action.record_consultation_reply,
        Action.request_extension,
        Action.decide_extension,
        Action.set_later_answer_date,
        Action.record_remedy,
        Action.decide_remedy,
    }


# -- paths ---------------------------------------------------------------------------------

HAPPY_PATH = [
    (Action.confirm_receipt, State.received),
    (Action.assign, State.in_progress),
    (Action.propose_answer, State.under_review),
    (Action.approve_review, State.approved),
    (Action.dispatch_answer, State.answered),
]


def walk(state: State, steps):
    for action, expected in steps:
        assert can(action, state), (action, state)
        state = target(action, state)
        assert state == expected, (action, state)
    return state


def test_the_happy_path_from_pending_receipt_to_answered():
    assert walk(State.pending_receipt, HAPPY_PATH) == State.answered


def test_a_returned_review_goes_back_to_in_progress_and_can_be_proposed_again():
    walk(
        State.in_progress,
        [
            (Action.propose_answer, State.under_review),
            (Action.return_review, State.in_progress),
            (Action.propose_answer, State.under_review),
            (Action.approve_review, State.approved),
        ],
    )


def test_a_fee_notice_pauses_and_payment_resumes():
    walk(State.in_progress, [(Action.issue_fee_notice, State.awaiting_fee), (Action.record_payment, State.in_progress)])
    assert not can(Action.propose_answer, State.awaiting_fee)


def test_consultation_and_correction_paths():
    walk(State.in_progress, [(Action.start_consultation, State.consulting), (Action.start_consultation, State.consulting)])
    assert can(Action.record_consultation_reply, State.consulting)
    assert not can(Action.propose_answer, State.consulting)
    walk(State.received, [(Action.request_correction, State.awaiting_correction)])
    assert can(Action.submit_correction, State.awaiting_correction)
    # Art. 30: the correction notice is sent once, not again while waiting for it
    assert not can(Action.request_correction, State.awaiting_correction)


def test_an_answer_cannot_skip_review_or_be_dispatched_twice():
    assert not can(Action.dispatch_answer, State.in_progress)
    assert not can(Action.dispatch_answer, State.under_review)
    assert not can(Action.dispatch_answer, State.answered)
    assert not can(Action.approve_review, State.in_progress)


def test_nothing_but_confirmation_or_withdrawal_happens_before_receipt():
    assert set(allowed_actions(State.pending_receipt)) == {Action.confirm_receipt, Action.withdraw}


# -- answer types (table 三 of the annual report) ---------------------------------------------

ANNUAL_REPORT_ROWS = {
    AnswerCategory.not_disclosed: [
        "属于国家秘密",
        "其他法律行政法规禁止公开",
        '危及"三安全一稳定"',
        "保护第三方合法权益",
        "属于三类内部事务信息",
        "属于四类过程性信息",
        "属于行政执法案卷",
        "属于行政查询事项",
    ],
    AnswerCategory.cannot_provide: ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"],
    AnswerCategory.not_handled: [
        "信访举报投诉类申请",
        "重复申请",
        "要求提供公开出版物",
        "无正当理由大量反复申请",
        "要求行政机关确认或重新出具已获取信息",
    ],
    AnswerCategory.other: [
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "其他",
    ],
}


def _plain_quotes(text: str) -> str:
    return text.replace("“", '"').replace("”", '"')


def test_answer_categories_are_the_six_rows_of_table_three():
    assert set(REASONS) == set(AnswerCategory) == set(CATEGORY_LABELS)
    assert [CATEGORY_LABELS[c] for c in AnswerCategory] == ["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"]


def test_sub_reasons_are_exactly_the_annual_report_sub_rows():
    counts = {c: len(REASONS[c]) for c in ANNUAL_REPORT_ROWS}
    assert counts == {
        AnswerCategory.not_disclosed: 8,
        AnswerCategory.cannot_provide: 3,
        AnswerCategory.not_handled: 5,
        AnswerCategory.other: 3,
    }
    for category, rows in ANNUAL_REPORT_ROWS.items():
        assert [_plain_quotes(label) for label in REASONS[category].values()] == rows, category


def test_reason_keys_are_unique_across_categories():
    keys = [k for reasons in REASONS.values() for k in reasons]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("category", "reason"), [(c, r) for c in AnswerCategory for r in REASONS[c]])
def test_every_listed_reason_is_valid_in_its_own_category_only(category, reason):
    assert is_valid_answer(category, reason)
    for other in AnswerCategory:
        if other != category:
            assert not is_valid_answer(other, reason), (other, reason)


def test_unknown_reasons_are_rejected():
    assert not is_valid_answer(AnswerCategory.not_disclosed, "")
    assert not is_valid_answer(AnswerCategory.not_disclosed, "national_secret")
    assert not is_valid_answer(AnswerCategory.cannot_provide, "state_secret")


def test_lapse_answers_are_reserved_for_the_workflow():
    assert SYSTEM_ONLY == {(AnswerCategory.other, "no_correction"), (AnswerCategory.other, "fee_unpaid")}
    assert all(is_valid_answer(c, r) for c, r in SYSTEM_ONLY)


def test_only_disclosures_deliver_documents():
    assert {c for c in AnswerCategory if needs_documents(c)} == {AnswerCategory.disclosed, AnswerCategory.partially_disclosed}
    assert answers.REASONS is REASONS
