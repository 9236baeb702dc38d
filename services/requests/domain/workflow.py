"""The request state machine (pure): states, actions, who may take them, and where they lead.

pending_receipt ─confirm_receipt→ received ─assign→ in_progress ─propose_answer→ under_review
under_review ─approve_review→ approved ─dispatch_answer→ answered
under_review ─return_review→ in_progress
received / in_progress ─request_correction→ awaiting_correction ─submit_correction→ received / in_progress
in_progress ─start_consultation→ consulting ─(all replies or lapse)→ in_progress
in_progress ─issue_fee_notice→ awaiting_fee ─record_payment→ in_progress
answered / closed ─(remedy corrected)→ in_progress (reopened with a new deadline)
remedies: against an answered or closed request, or against silence (open, past its due date)
lapses: awaiting_correction → closed (no_correction); awaiting_fee → closed (fee_unpaid)
withdraw: any open state → closed (withdrawn)
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shared.auth import Role


class State(StrEnum):
    pending_receipt = "pending_receipt"  # 待确认收到（普通邮寄、传真等，须与申请人确认）
    received = "received"  # 已受理，待分办
    awaiting_correction = "awaiting_correction"  # 待补正
    in_progress = "in_progress"  # 办理中
    consulting = "consulting"  # 征求意见中（计时暂停）
    awaiting_fee = "awaiting_fee"  # 待缴费（计时暂停）
    under_review = "under_review"  # 保密审查中
    approved = "approved"  # 审查通过，待送达
    answered = "answered"  # 已答复
    closed = "closed"  # 已终止（逾期不补正、逾期未缴费、撤回）


STATE_LABELS = {
    State.pending_receipt: "待确认收到",
    State.received: "已受理",
    State.awaiting_correction: "待补正",
    State.in_progress: "办理中",
    State.consulting: "征求意见中",
    State.awaiting_fee: "待缴费",
    State.under_review: "保密审查中",
    State.approved: "待送达",
    State.answered: "已答复",
    State.closed: "已终止",
}

OPEN_STATES = frozenset(State) - {State.answered, State.closed}
FINISHED_STATES = frozenset({State.answered, State.closed})
# The answer clock does not run while the request waits on the applicant or a third party.
CLOCK_STOPPED = frozenset({State.pending_receipt, State.awaiting_correction})


class Action(StrEnum):
    confirm_receipt = "confirm_receipt"
    assign = "assign"
    request_correction = "request_correction"
    submit_correction = "submit_correction"
    start_consultation = "start_consultation"
    record_consultation_reply = "record_consultation_reply"
    issue_fee_notice = "issue_fee_notice"
    record_payment = "record_payment"
    request_extension = "request_extension"
    decide_extension = "decide_extension"
    set_later_answer_date = "set_later_answer_date"
    propose_answer = "propose_answer"
    approve_review = "approve_review"
    return_review = "return_review"
    dispatch_answer = "dispatch_answer"
    withdraw = "withdraw"
    record_remedy = "record_remedy"
    decide_remedy = "decide_remedy"


ACTION_LABELS = {
    Action.confirm_receipt: "确认收到申请",
    Action.assign: "分办",
    Action.request_correction: "发出补正通知",
    Action.submit_correction: "提交补正",
    Action.start_consultation: "征求意见",
    Action.record_consultation_reply: "登记征求意见回复",
    Action.issue_fee_notice: "发出收费通知",
    Action.record_payment: "登记缴费",
    Action.request_extension: "申请延期",
    Action.decide_extension: "审批延期",
    Action.set_later_answer_date: "确定合理的延后答复期限（第三十五条）",
    Action.propose_answer: "拟定答复",
    Action.approve_review: "保密审查通过",
    Action.return_review: "保密审查退回",
    Action.dispatch_answer: "送达答复",
    Action.withdraw: "撤回申请",
    Action.record_remedy: "登记投诉、复议或诉讼",
    Action.decide_remedy: "登记复议或诉讼结果",
}

# action -> (states it may be taken in, state it leads to; None keeps the state)
TRANSITIONS: dict[Action, tuple[frozenset[State], State | None]] = {
    Action.confirm_receipt: (frozenset({State.pending_receipt}), State.received),
    Action.assign: (frozenset({State.received, State.in_progress}), State.in_progress),
    Action.request_correction: (frozenset({State.received, State.in_progress}), State.awaiting_correction),
    Action.submit_correction: (frozenset({State.awaiting_correction}), None),  # back to received or in_progress
    Action.start_consultation: (frozenset({State.in_progress, State.consulting}), State.consulting),
    Action.record_consultation_reply: (frozenset({State.consulting}), None),  # in_progress once all replied
    Action.issue_fee_notice: (frozenset({State.in_progress}), State.awaiting_fee),
    Action.record_payment: (frozenset({State.awaiting_fee}), State.in_progress),
    Action.request_extension: (frozenset({State.in_progress, State.consulting, State.awaiting_fee}), None),
    Action.decide_extension: (frozenset({State.in_progress, State.consulting, State.awaiting_fee, State.under_review}), None),
    Action.set_later_answer_date: (frozenset({State.received, State.in_progress}), None),
    Action.propose_answer: (frozenset({State.received, State.in_progress}), State.under_review),
    Action.approve_review: (frozenset({State.under_review}), State.approved),
    Action.return_review: (frozenset({State.under_review}), State.in_progress),
    Action.dispatch_answer: (frozenset({State.approved}), State.answered),
    Action.withdraw: (OPEN_STATES, State.closed),
    # Against an answer or a closure; against silence (逾期不答复) also while the request is still open
    # and past its period, which dates decide, not the state: `remedy_against_silence_allowed`.
    Action.record_remedy: (FINISHED_STATES, None),
    Action.decide_remedy: (FINISHED_STATES, None),
}

# The clock runs in these open states; in the others it is stopped or paused (the applicant, a third
# party or a fee is awaited), so the agency is not silent past its period there.
CLOCK_RUNNING = frozenset({State.received, State.in_progress, State.under_review, State.approved})

OFFICE = (Role.registrar, Role.handler, Role.head)
ACTION_ROLES: dict[Action, tuple[Role, ...]] = {
    Action.confirm_receipt: (Role.registrar, Role.handler),
    Action.assign: (Role.head, Role.registrar),
    Action.request_correction: (Role.handler, Role.registrar),
    Action.submit_correction: (Role.applicant, Role.registrar),
    Action.start_consultation: (Role.handler,),
    Action.record_consultation_reply: (Role.handler, Role.registrar),
    Action.issue_fee_notice: (Role.handler,),
    Action.record_payment: (Role.handler, Role.registrar),
    Action.request_extension: (Role.handler,),
    Action.decide_extension: (Role.head,),
    Action.set_later_answer_date: (Role.head,),
    Action.propose_answer: (Role.handler,),
    Action.approve_review: (Role.reviewer,),
    Action.return_review: (Role.reviewer,),
    Action.dispatch_answer: (Role.handler, Role.registrar),
    Action.withdraw: (Role.applicant, Role.registrar),
    Action.record_remedy: (Role.handler, Role.head, Role.supervisor),
    Action.decide_remedy: (Role.handler, Role.head, Role.supervisor),
}


def remedy_against_silence_allowed(state: State, due_on: date | None, filed_on: date) -> bool:
    """A remedy may be recorded against a finished request, or against silence: an open request whose
    answer period had run out when the remedy was filed (Art. 51; 行政复议法: 逾期不答复).

    The last day of the period is still the agency's: only a filing after `due_on` is against silence.
    """
    if state in FINISHED_STATES:
        return True
    return state in CLOCK_RUNNING and due_on is not None and filed_on > due_on


def allowed_actions(state: State, *, overdue: bool = False) -> list[Action]:
    """Actions the state machine admits in `state` (before role and rule checks); `overdue`: an open
    request past its due date, which may be contested for silence."""
    actions = [a for a, (sources, _) in TRANSITIONS.items() if state in sources]
    if overdue and state in CLOCK_RUNNING:
        actions += [Action.record_remedy, Action.decide_remedy]
    return actions


def can(action: Action, state: State) -> bool:
    return state in TRANSITIONS[action][0]


def target(action: Action, state: State) -> State:
    return TRANSITIONS[action][1] or state
