"""What each caller sees of a request: masks personal data for those who need not see it."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.requests.adapters.orm import Answer, Consultation, DisclosureRequest, HistoryEntry, Remedy
from services.requests.domain.answers import CATEGORY_LABELS, REASONS, AnswerCategory
from services.requests.domain.clock import DueDate, Pause
from services.requests.domain.workflow import ACTION_LABELS, ACTION_ROLES, STATE_LABELS, Action, State, allowed_actions
from services.requests.service.deadlines import explain, status_of
from shared.auth import Principal, Role
from shared.validators import mask_id_number, mask_mobile
from shared.workdays import WorkCalendar


def sees_full_pii(principal: Principal, request: DisclosureRequest) -> bool:
    """The applicant themself, and the officers of the agency handling the request (need to know)."""
    if Role.applicant in principal.roles and request.applicant_sub == principal.sub:
        return True
    return principal.needs_to_know(request.agency_id)


def _mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return value
    name, domain = value.split("@", 1)
    return f"{name[:1]}***@{domain}"


def applicant_view(request: DisclosureRequest, full: bool) -> dict[str, Any]:
    return {
        "type": request.applicant_type,
        "organisation_type": request.organisation_type,
        "name": request.applicant_name,
        "work_unit": request.work_unit if full or not request.work_unit else request.work_unit[:2] + "……",
        "id_type": request.id_type,
        "id_number": request.id_number if full else mask_id_number(request.id_number),
        "mobile": request.mobile if full or not request.mobile else mask_mobile(request.mobile),
        "email": request.email if full else _mask_email(request.email),
        "postal_address": request.postal_address if full else (request.postal_address[:6] + "……" if request.postal_address else None),
        "postal_code": request.postal_code if full else None,
        "legal_representative": request.legal_representative,
        "contact_person": request.contact_person,
    }


def due_view(due: DueDate | None, calendar: WorkCalendar) -> dict[str, Any] | None:
    """The due date with how it was computed, so an applicant or a court can check it."""
    if due is None:
        return None
    return {
        "due_on": due.effective_due,
        "computed_due_on": due.due,
        "later_due_on": due.override_due,
        "start": due.start,
        "rule_set": due.rule_set.value,
        "answer_days": due.answer_days,
        "extension_days": due.extension_days,
        "counted_days": due.counted,
        "skipped_days": [{"day": s.day, "kind": s.kind, "note": s.note} for s in due.skipped],
        "adjusted_workdays": due.adjusted_workdays,
        "pauses": [{"kind": p.kind.value, "start": p.start, "end": p.end} for p in due.pauses],
        "provisional": due.provisional,
        "calendar": {str(y): s.value for y, s in due.calendar_sources.items()},
        "explanation": _explanation(due),
    }


def _explanation(due: DueDate) -> str:
    parts = [f"自 {due.start.isoformat()} 收到申请（当日不计）起算，按 {due.rule_set.value} 年条例计 {due.answer_days} 个工作日"]
    if due.extension_days:
        parts.append(f"经批准延长 {due.extension_days} 个工作日")
    holidays = sum(1 for s in due.skipped if s.kind == "holiday")
    weekends = sum(1 for s in due.skipped if s.kind == "weekend")
    paused = sum(1 for s in due.skipped if s.kind == "paused")
    parts.append(f"跳过周末 {weekends} 天、法定节假日 {holidays} 天")
    if due.adjusted_workdays:
        parts.append("调休上班日计入：" + "、".join(d.isoformat() for d in due.adjusted_workdays))
    if paused:
        parts.append(f"征求意见或等待缴费期间 {paused} 个工作日不计入")
    text = "；".join(parts) + f"，答复期限为 {due.due.isoformat()}。"
    if due.override_due and due.override_due > due.due:
        text += f"依第三十五条确定的延后答复期限为 {due.override_due.isoformat()}。"
    if due.provisional:
        text += "（期限为暂定：计时暂停中，或所涉年度的放假安排尚未公布。）"
    return text


def summary_view(r: DisclosureRequest, principal: Principal, calendar: WorkCalendar, pauses: list[Pause], today: date) -> dict[str, Any]:
    full = sees_full_pii(principal, r)
    return {
        "id": r.id,
        "tracking_number": r.tracking_number,
        "agency_id": r.agency_id,
        "kind": r.kind,
        "state": r.state,
        "state_label": STATE_LABELS[State(r.state)],
        "round": r.round,
        "channel": r.channel,
        "applicant": applicant_view(r, full),
        "description": r.description,
        "document_number": r.document_number,
        "document_title": r.document_title,
        "submitted_at": r.submitted_at,
        "received_on": r.received_on,
        "clock_start": r.clock_start,
        "due_on": r.due_on,
        "assignee_sub": r.assignee_sub,
        "answered_on": r.answered_on,
        "closed_on": r.closed_on,
        "outcome": outcome_view(r),
        **status_of(calendar, r, pauses, today),
        "version": r.version,
    }


def outcome_view(r: DisclosureRequest) -> dict[str, str | None] | None:
    if not r.outcome_category:
        return None
    category = AnswerCategory(r.outcome_category)
    return {
        "category": category.value,
        "category_label": CATEGORY_LABELS[category],
        "reason": r.outcome_reason,
        "reason_label": REASONS[category].get(r.outcome_reason or "", ""),
    }


def actions_for(principal: Principal, r: DisclosureRequest, today: date) -> list[dict[str, str]]:
    """What this caller may do next (the state machine intersected with their roles)."""
    result = []
    overdue = r.due_on is not None and r.due_on < today
    for action in allowed_actions(State(r.state), overdue=overdue):
        roles = ACTION_ROLES[action]
        own = Role.applicant in roles and Role.applicant in principal.roles and r.applicant_sub == principal.sub
        if own or principal.has_any(*[x for x in roles if x != Role.applicant]):
            result.append({"action": action.value, "label": ACTION_LABELS[action]})
    return result


def detail_view(
    r: DisclosureRequest,
    principal: Principal,
    calendar: WorkCalendar,
    pauses: list[Pause],
    today: date,
    *,
    history: list[HistoryEntry],
    consultations: list[Consultation],
    answers: list[Answer],
    remedies: list[Remedy],
) -> dict[str, Any]:
    officer = principal.is_officer
    view = summary_view(r, principal, calendar, pauses, today)
    view.update(
        {
            "purpose": r.purpose,
            "preferred_form": r.preferred_form,
            "delivery_method": r.delivery_method,
            "rule_set": r.rule_set,
            "due": due_view(explain(calendar, r, pauses, today), calendar),
            "correction": {"items": r.correction_items, "requested_on": r.correction_requested_on, "due_on": r.correction_due_on}
            if r.correction_used
            else None,
            "extension": {
                "status": r.extension_status,
                "days": r.extension_days or r.extension_requested_days,
                "reason": r.extension_reason if officer else None,
            }
            if r.extension_status
            else None,
            "fee": {
                "amount_yuan": r.fee_amount,
                "method": r.fee_method,
                "notice_on": r.fee_notice_on,
                "pay_by": r.fee_pay_by,
                "paid_on": r.fee_paid_on,
            }
            if r.fee_notice_on
            else None,
            "later_due": {"due_on": r.later_due_on, "reason": r.later_due_reason} if r.later_due_on else None,
            "timeline": [timeline_entry(h, with_notes=officer) for h in history],
            "consultations": [consultation_view(x) for x in consultations] if officer else None,
            "answers": [answer_view(a, officer=officer) for a in answers if officer or a.dispatched_on],
            "remedies": [remedy_view(x) for x in remedies],
            "allowed_actions": actions_for(principal, r, today),
        }
    )
    return view


def timeline_entry(h: HistoryEntry, *, with_notes: bool) -> dict[str, Any]:
    label = (
        ACTION_LABELS.get(Action(h.action), h.action)
        if h.action in Action.__members__
        else {
            "submit": "提交申请",
            "receive": "确认收到",
            "reopen": "依复议或诉讼结果重新办理",
            "lapse": "期限届满",
            "remind": "期限提醒",
            "reissue_query_code": "重新发放查询码",
        }.get(h.action, h.action)
    )
    entry = {"at": h.at, "action": h.action, "label": label, "to_state": h.to_state, "state_label": STATE_LABELS[State(h.to_state)]}
    if with_notes:
        entry.update({"actor_sub": h.actor_sub, "actor_role": h.actor_role, "note": h.note, "from_state": h.from_state})
    return entry


def consultation_view(x: Consultation) -> dict[str, Any]:
    return {
        "id": x.id,
        "kind": x.kind,
        "party": x.party,
        "party_contact": x.party_contact,
        "question": x.question,
        "sent_on": x.sent_on,
        "reply_due_on": x.reply_due_on,
        "replied_on": x.replied_on,
        "opinion": x.opinion,
        "opinion_text": x.opinion_text,
    }


def answer_view(a: Answer, *, officer: bool) -> dict[str, Any]:
    category = AnswerCategory(a.category)
    view = {
        "id": a.id,
        "round": a.round,
        "category": a.category,
        "category_label": CATEGORY_LABELS[category],
        "reason": a.reason,
        "reason_label": REASONS[category].get(a.reason, ""),
        "letter": a.letter,
        "exempt_parts": a.exempt_parts,
        "referral": a.referral,
        "document_ids": a.document_ids,
        "record_correction_result": a.record_correction_result,
        "dispatched_on": a.dispatched_on,
        "delivery_form": a.delivery_form,
    }
    if officer:
        view.update(
            {
                "proposed_by": a.proposed_by,
                "proposed_at": a.proposed_at,
                "review_status": a.review_status,
                "reviewed_by": a.reviewed_by,
                "review_note": a.review_note,
            }
        )
    return view


def remedy_view(x: Remedy) -> dict[str, Any]:
    return {
        "id": x.id,
        "kind": x.kind,
        "filed_on": x.filed_on,
        "authority": x.authority,
        "case_number": x.case_number,
        "outcome": x.outcome,
        "decided_on": x.decided_on,
    }
