"""Workflow steps: each checks the state machine and the law's rules, records itself and emits an event."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from services.requests.adapters.orm import Answer, Attachment, Consultation, DisclosureRequest, Remedy, RequestPause
from services.requests.adapters.repository import KnownOfficerRepository
from services.requests.domain.answers import CATEGORY_LABELS, REASONS, SYSTEM_ONLY, AnswerCategory
from services.requests.domain.applicant import RemedyOutcome
from services.requests.domain.clock import (
    CONSULTATION_DAYS,
    CORRECTION_NOTICE_DAYS,
    FEE_PAYMENT_DAYS,
    MAX_EXTENSION_DAYS,
    PauseKind,
    RuleSet,
)
from services.requests.domain.fees import assess_fee
from services.requests.domain.notices import NoticeKind, answer_provisions, chinese_date, provisions_for
from services.requests.domain.workflow import FINISHED_STATES, Action, State, remedy_against_silence_allowed
from services.requests.service import commands as c
from services.requests.service import notices
from services.requests.service.access import agency_subtree
from services.requests.service.deadlines import pauses_of, refresh_due
from services.requests.service.intake import link_attachments
from services.requests.service.steps import acted_on, guard, move, record, require_date_not_future, with_note
from services.requests.settings import RequestsSettings
from shared.auth import Principal
from shared.contracts import requests as ev
from shared.db import utcnow
from shared.errors import Problem
from shared.settings import service_settings
from shared.uow import UnitOfWork
from shared.workdays import WorkCalendar

FEE_METHOD_LABELS = {"item": "按件计收（同一申请人一个自然月内的申请件数）", "pages": "按量计收（同一申请中提供信息的页数）"}


def _separation(principal: Principal, other_sub: str | None, what: str) -> None:
    if other_sub is not None and principal.sub == other_sub:
        raise Problem(403, "separation_of_duties", f"不能{what}自己提出的事项，须由他人办理")


async def confirm_receipt(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.ConfirmReceiptIn, cal: WorkCalendar, today: date
) -> None:
    guard(r, Action.confirm_receipt)
    require_date_not_future(cmd.received_on, today, "received_on")
    r.received_on = r.clock_start = cmd.received_on
    prev = move(r, State.received)
    await refresh_due(uow.session, cal, r, today)
    notice = await notices.issue(
        uow,
        r,
        NoticeKind.receipt,
        issued_on=today,
        principal=p,
        context=notices.receipt_context(r, None, r.due_on, None),
        provisions=provisions_for(NoticeKind.receipt, rule_set=r.rule_set),
    )
    record(uow, r, p, Action.confirm_receipt, prev, ev.RequestReceived, notify_applicant=True, notice=notices.ref(notice))


async def check_assignee(uow: UnitOfWork, r: DisclosureRequest, officer_id: str) -> None:
    """The assignee is in the officer directory, active, and holds a role in the request's agency or below it."""
    officer = await KnownOfficerRepository(uow.session).get(officer_id)
    if officer is None:
        raise Problem(422, "officer_unknown", "承办人不在工作人员名录中（或名录尚未同步），请核对后再分办")
    if officer.status != "active":
        raise Problem(422, "officer_disabled", f"承办人“{officer.name}”已停用，不能分办")
    scope = await agency_subtree(uow.session, r.agency_id)
    if not any(m["agency_id"] in scope and m["roles"] for m in officer.memberships):
        raise Problem(422, "officer_outside_agency", f"承办人“{officer.name}”在本申请的承办机关及其下级机关没有角色")


async def assign(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.AssignIn, cal: WorkCalendar, today: date) -> None:
    guard(r, Action.assign)
    await check_assignee(uow, r, cmd.assignee_sub)
    r.assignee_sub = cmd.assignee_sub
    prev = move(r, State.in_progress)
    record(uow, r, p, Action.assign, prev, ev.RequestAssigned, note=cmd.note)


async def request_correction(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.CorrectionNoticeIn, cal: WorkCalendar, today: date
) -> None:
    """Art. 30: once, listing everything, within 7 working days of receipt."""
    guard(r, Action.request_correction)
    if r.correction_used:
        raise Problem(409, "correction_already_requested", "补正只能一次性告知，本申请已发出过补正通知")
    assert r.clock_start is not None  # set at receipt, and the guard admits only received requests
    if cal.workdays_between(r.clock_start, today) > CORRECTION_NOTICE_DAYS:
        raise Problem(409, "correction_window_passed", f"已超过收到申请之日起 {CORRECTION_NOTICE_DAYS} 个工作日的补正告知期限")
    r.correction_used = True
    r.correction_items = cmd.items
    r.correction_requested_on = today
    r.correction_due_on = cal.add_workdays(today, cmd.period_days)
    prev = move(r, State.awaiting_correction)
    notice = await notices.issue(
        uow,
        r,
        NoticeKind.correction,
        issued_on=today,
        principal=p,
        context={"items": cmd.items, "correction_due_on": chinese_date(r.correction_due_on), "period_days": cmd.period_days},
        provisions=provisions_for(NoticeKind.correction),
    )
    record(
        uow,
        r,
        p,
        Action.request_correction,
        prev,
        ev.CorrectionRequested,
        notify_applicant=True,
        correction_due_on=r.correction_due_on,
        items=cmd.items,
        notice=notices.ref(notice),
    )


async def submit_correction(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.CorrectionIn, cal: WorkCalendar, today: date
) -> None:
    """The corrected request restarts the answer period from the day it is received."""
    guard(r, Action.submit_correction)
    r.description = cmd.description
    r.document_number = cmd.document_number or r.document_number
    r.document_title = cmd.document_title or r.document_title
    await link_attachments(uow, cmd.attachment_ids, p.sub, r.id)
    r.clock_start = today
    prev = move(r, State.in_progress if r.assignee_sub else State.received)
    await refresh_due(uow.session, cal, r, today)
    record(uow, r, p, Action.submit_correction, prev, ev.CorrectionSubmitted, notify_applicant=True)


async def start_consultation(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.ConsultationIn, cal: WorkCalendar, today: date
) -> Consultation:
    """Art. 32 / 34: the clock pauses until the reply (or 15 working days of silence)."""
    guard(r, Action.start_consultation)
    sent_on, late = acted_on(r, cmd, today)
    consultation = Consultation(
        request_id=r.id,
        kind=cmd.kind,
        party=cmd.party,
        party_contact=cmd.party_contact,
        question=cmd.question,
        sent_on=sent_on,
        reply_due_on=cal.add_workdays(sent_on, CONSULTATION_DAYS),
    )
    uow.session.add(consultation)
    await uow.session.flush()
    uow.session.add(RequestPause(request_id=r.id, round=r.round, kind=cmd.kind, start=sent_on, reference_id=consultation.id))
    await uow.session.flush()
    prev = move(r, State.consulting)
    await refresh_due(uow.session, cal, r, today)
    inter_agency = cmd.kind == "inter_agency"
    notice = await notices.issue(
        uow,
        r,
        NoticeKind.consultation,
        issued_on=sent_on,
        principal=p,
        addressee=cmd.party,
        reference_id=consultation.id,
        context={
            # The letter names what is asked for, never who asks (the applicant's identity is theirs).
            "information": r.document_title or r.description,
            "question": cmd.question,
            "reply_due_on": chinese_date(consultation.reply_due_on),
            "inter_agency": inter_agency,
            "addressee_short": "贵机关" if inter_agency else "贵方",
        },
        provisions=provisions_for(NoticeKind.consultation, consultation_kind=cmd.kind),
    )
    record(
        uow,
        r,
        p,
        Action.start_consultation,
        prev,
        ev.ConsultationStarted,
        note=late,
        consultation_id=consultation.id,
        sent_on=sent_on,
        consultation_kind=cmd.kind,
        party=cmd.party,
        reply_due_on=consultation.reply_due_on,
        party_contact=cmd.party_contact,
        question=cmd.question,
        information=r.document_title or r.description[:300],
        notice=notices.ref(notice),
    )
    return consultation


async def close_consultation(
    uow: UnitOfWork,
    r: DisclosureRequest,
    p: Principal | None,
    consultation: Consultation,
    *,
    replied_on: date,
    opinion: str,
    text: str | None,
    cal: WorkCalendar,
    today: date,
) -> None:
    """Record a reply (or silence), resume the clock, and leave `consulting` once none is open."""
    consultation.replied_on, consultation.opinion, consultation.opinion_text = replied_on, opinion, text
    pause = (await uow.session.execute(select(RequestPause).where(RequestPause.reference_id == consultation.id))).scalar_one()
    # Art. 32/34: the clock stands still for at most the 15 working days the other party had;
    # a late reply is recorded, but the days after its deadline count.
    pause.end = min(replied_on, consultation.reply_due_on)
    await uow.session.flush()
    still_open = (
        await uow.session.execute(
            select(func.count()).select_from(Consultation).where(Consultation.request_id == r.id, Consultation.replied_on.is_(None))
        )
    ).scalar_one()
    prev = move(r, State.consulting if still_open else State.in_progress)
    await refresh_due(uow.session, cal, r, today)
    record(
        uow,
        r,
        p,
        Action.record_consultation_reply,
        prev,
        ev.ConsultationReplied,
        consultation_id=consultation.id,
        opinion=opinion,
        silent=opinion == "silence",
        note=text,
    )


async def record_consultation_reply(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, consultation_id: str, cmd: c.ConsultationReplyIn, cal: WorkCalendar, today: date
) -> None:
    guard(r, Action.record_consultation_reply)
    consultation = await uow.session.get(Consultation, consultation_id)
    if consultation is None or consultation.request_id != r.id:
        raise Problem(404, "consultation_not_found", "征求意见记录不存在")
    if consultation.replied_on is not None:
        raise Problem(409, "consultation_closed", "该征求意见已有回复或已逾期视为无意见")
    require_date_not_future(cmd.replied_on, today, "replied_on")
    if cmd.replied_on < consultation.sent_on:
        raise Problem(
            422, "reply_before_consultation", "回复日期早于征求意见日期", errors=[{"field": "replied_on", "message": "早于征求意见日期"}]
        )
    await close_consultation(
        uow, r, p, consultation, replied_on=cmd.replied_on, opinion=cmd.opinion, text=cmd.opinion_text, cal=cal, today=today
    )


async def _rank_in_month(uow: UnitOfWork, r: DisclosureRequest) -> int:
    """This request's place among the same applicant's requests received in its calendar month."""
    assert r.received_on is not None  # only received requests are ranked
    month_start = r.received_on.replace(day=1)
    next_month = month_start.replace(day=28).toordinal() + 4
    month_end = date.fromordinal(next_month).replace(day=1)
    query = (
        select(func.count())
        .select_from(DisclosureRequest)
        .where(
            DisclosureRequest.id_type == r.id_type,
            DisclosureRequest.id_number == r.id_number,
            DisclosureRequest.received_on >= month_start,
            DisclosureRequest.received_on < month_end,
            DisclosureRequest.submitted_at <= r.submitted_at,
        )
    )
    return (await uow.session.execute(query)).scalar_one()


async def issue_fee_notice(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.FeeNoticeIn, cal: WorkCalendar, today: date) -> None:
    """国办函〔2020〕109号: only beyond a reasonable volume; the clock pauses until payment."""
    guard(r, Action.issue_fee_notice)
    if r.fee_notice_on is not None:
        raise Problem(409, "fee_already_noticed", "本申请已发出过收费通知")
    fee = assess_fee(await _rank_in_month(uow, r), cmd.pages)
    if fee.amount == 0:
        raise Problem(422, "no_fee_due", "按国办函〔2020〕109号标准，本申请无需收取信息处理费")
    notice_on, late = acted_on(r, cmd, today)
    r.fee_amount, r.fee_method, r.fee_notice_on = fee.amount, fee.method, notice_on
    r.fee_pay_by = cal.add_workdays(notice_on, FEE_PAYMENT_DAYS)
    uow.session.add(RequestPause(request_id=r.id, round=r.round, kind=PauseKind.fee.value, start=notice_on))
    await uow.session.flush()
    prev = move(r, State.awaiting_fee)
    await refresh_due(uow.session, cal, r, today)
    notice = await notices.issue(
        uow,
        r,
        NoticeKind.fee,
        issued_on=notice_on,
        principal=p,
        context={
            "method_label": FEE_METHOD_LABELS.get(fee.method, fee.method),
            "amount_yuan": fee.amount,
            "pay_by": chinese_date(r.fee_pay_by),
            "payment_instructions": service_settings(uow.settings, RequestsSettings).notice_payment_instructions,
        },
        provisions=provisions_for(NoticeKind.fee),
    )
    record(
        uow,
        r,
        p,
        Action.issue_fee_notice,
        prev,
        ev.FeeNoticeIssued,
        note=with_note(cmd.note, late),
        notify_applicant=True,
        amount_yuan=fee.amount,
        method=fee.method,
        pay_by=r.fee_pay_by,
        notice_on=notice_on,
        notice=notices.ref(notice),
    )


async def record_payment(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.PaymentIn, cal: WorkCalendar, today: date) -> None:
    guard(r, Action.record_payment)
    require_date_not_future(cmd.paid_on, today, "paid_on")
    if r.fee_pay_by and cmd.paid_on > r.fee_pay_by:
        # 109号文: unpaid within 20 working days of the notice, the request is no longer handled.
        raise Problem(409, "fee_payment_late", f"缴费期限（{r.fee_pay_by.isoformat()}）已过，该申请不再处理")
    if cmd.amount_yuan != r.fee_amount:
        raise Problem(
            422,
            "fee_amount_mismatch",
            f"缴费金额与收费通知不符（应缴 {r.fee_amount} 元）",
            errors=[{"field": "amount_yuan", "message": f"应为 {r.fee_amount}"}],
        )
    pause = (
        await uow.session.execute(
            select(RequestPause).where(
                RequestPause.request_id == r.id, RequestPause.kind == PauseKind.fee.value, RequestPause.end.is_(None)
            )
        )
    ).scalar_one()
    pause.end = max(cmd.paid_on, pause.start)
    r.fee_paid_on = cmd.paid_on
    prev = move(r, State.in_progress)
    await uow.session.flush()
    await refresh_due(uow.session, cal, r, today)
    record(uow, r, p, Action.record_payment, prev, ev.FeePaid, amount_yuan=cmd.amount_yuan, paid_on=cmd.paid_on)


async def request_extension(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.ExtensionIn, cal: WorkCalendar, today: date
) -> None:
    """Art. 33: one extension, at most 20 working days (15 under the 2008 rules), before the period ends."""
    guard(r, Action.request_extension)
    if r.extension_status in ("requested", "approved"):
        raise Problem(409, "extension_already_used", "延期只能申请一次")
    limit = MAX_EXTENSION_DAYS[RuleSet(r.rule_set)]
    if cmd.days > limit:
        raise Problem(
            422,
            "extension_too_long",
            f"延长期限最长不得超过 {limit} 个工作日",
            errors=[{"field": "days", "message": f"至多 {limit} 个工作日"}],
        )
    if r.due_on and today > r.due_on:
        raise Problem(409, "extension_too_late", "答复期限已过，不能再申请延期")
    r.extension_status, r.extension_requested_days, r.extension_requested_by, r.extension_reason = "requested", cmd.days, p.sub, cmd.reason
    record(uow, r, p, Action.request_extension, r.state, ev.ExtensionRequested, note=cmd.reason, days=cmd.days)


async def decide_extension(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.ExtensionDecisionIn, cal: WorkCalendar, today: date
) -> None:
    guard(r, Action.decide_extension)
    if r.extension_status != "requested":
        raise Problem(409, "no_extension_pending", "没有待审批的延期申请")
    _separation(p, r.extension_requested_by, "审批")
    r.extension_status, r.extension_decided_by = ("approved" if cmd.approve else "rejected"), p.sub
    notice = None
    if cmd.approve:
        r.extension_days = r.extension_requested_days or 0
        await refresh_due(uow.session, cal, r, today)
        notice = await notices.issue(
            uow,
            r,
            NoticeKind.extension,
            issued_on=today,
            principal=p,
            context={
                "reason": r.extension_reason,
                "days": r.extension_days,
                "due_on": chinese_date(r.due_on) if r.due_on else "",
                "max_days": MAX_EXTENSION_DAYS[RuleSet(r.rule_set)],
            },
            provisions=provisions_for(NoticeKind.extension, rule_set=r.rule_set),
        )
    record(
        uow,
        r,
        p,
        Action.decide_extension,
        r.state,
        ev.ExtensionDecided,
        note=cmd.note,
        notify_applicant=cmd.approve,
        approved=cmd.approve,
        days=r.extension_days if cmd.approve else 0,
        decided_by=p.sub,
        notice=notices.ref(notice) if notice else None,
    )


async def set_later_answer_date(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.LaterAnswerDateIn, cal: WorkCalendar, today: date
) -> None:
    """Art. 35: too many requests with good reason — a later, reasonable date, told to the applicant."""
    guard(r, Action.set_later_answer_date)
    if r.due_on is None or cmd.later_due_on <= r.due_on:
        raise Problem(
            422, "later_date_not_later", "延后的答复期限须晚于现有期限", errors=[{"field": "later_due_on", "message": "须晚于现有期限"}]
        )
    r.later_due_on, r.later_due_reason = cmd.later_due_on, cmd.reason
    await refresh_due(uow.session, cal, r, today)
    record(
        uow,
        r,
        p,
        Action.set_later_answer_date,
        r.state,
        ev.LaterAnswerDateSet,
        note=cmd.reason,
        notify_applicant=True,
        later_due_on=cmd.later_due_on,
    )


async def propose_answer(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.AnswerIn, cal: WorkCalendar, today: date) -> Answer:
    guard(r, Action.propose_answer)
    if (cmd.category, cmd.reason) in SYSTEM_ONLY:
        raise Problem(422, "answer_type_not_proposable", "该处理结果由系统在期限届满时自动作出，不能手工拟定")
    documents = (
        list((await uow.session.execute(select(Attachment).where(Attachment.id.in_(cmd.document_ids)))).scalars())
        if cmd.document_ids
        else []
    )
    # Only files this officer uploaded, or answer documents already on this request: never
    # someone else's upload, which the applicant could then download.
    usable = [
        d
        for d in documents
        if d.owner_sub == p.sub and d.request_id in (None, r.id) or d.request_id == r.id and d.purpose == "answer_document"
    ]
    if len(usable) != len(set(cmd.document_ids)):
        raise Problem(422, "document_not_found", "答复附件不存在", errors=[{"field": "document_ids", "message": "附件不存在"}])
    for d in documents:
        d.request_id, d.purpose = r.id, "answer_document"
    answer = Answer(
        request_id=r.id,
        round=r.round,
        category=cmd.category.value,
        reason=cmd.reason,
        letter=cmd.letter,
        exempt_parts=cmd.exempt_parts or None,
        referral=cmd.referral.model_dump() if cmd.referral else None,
        document_ids=list(cmd.document_ids),
        record_correction_result=cmd.record_correction_result,
        proposed_by=p.sub,
    )
    uow.session.add(answer)
    await uow.session.flush()
    prev = move(r, State.under_review)
    record(uow, r, p, Action.propose_answer, prev, ev.AnswerProposed, answer_id=answer.id, category=answer.category, reason=answer.reason)
    return answer


async def pending_answer(uow: UnitOfWork, r: DisclosureRequest, status: str = "pending") -> Answer:
    answer = (
        await uow.session.execute(
            select(Answer)
            .where(Answer.request_id == r.id, Answer.round == r.round, Answer.review_status == status)
            .order_by(Answer.proposed_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if answer is None:
        raise Problem(409, "no_answer_pending", "没有待处理的拟答复")
    return answer


async def _review(uow: UnitOfWork, r: DisclosureRequest, p: Principal, action: Action, note: str | None, *, approved: bool) -> None:
    """Art. 17: a reviewer other than the drafter clears (or returns) the answer before anything is disclosed."""
    guard(r, action)
    answer = await pending_answer(uow, r)
    _separation(p, answer.proposed_by, "审查")
    answer.review_status, answer.reviewed_by, answer.review_note, answer.reviewed_at = (
        ("approved" if approved else "returned"),
        p.sub,
        note,
        utcnow(),
    )
    prev = move(r, State.approved if approved else State.in_progress)
    event = ev.ReviewApproved if approved else ev.ReviewReturned
    record(uow, r, p, action, prev, event, note=note, answer_id=answer.id, reviewer_sub=p.sub)


async def approve_review(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.ReviewIn, cal: WorkCalendar, today: date) -> None:
    await _review(uow, r, p, Action.approve_review, cmd.note, approved=True)


async def return_review(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.ReturnIn, cal: WorkCalendar, today: date) -> None:
    await _review(uow, r, p, Action.return_review, cmd.note, approved=False)


async def dispatch_answer(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.DispatchIn, cal: WorkCalendar, today: date) -> None:
    guard(r, Action.dispatch_answer)
    answer = await pending_answer(uow, r, "approved")
    answered_on = cmd.dispatched_on or today
    require_date_not_future(answered_on, today, "dispatched_on")
    answer.dispatched_by, answer.dispatched_on, answer.delivery_form = p.sub, answered_on, cmd.delivery_form.value
    r.outcome_category, r.outcome_reason, r.answered_on = answer.category, answer.reason, answered_on
    prev = move(r, State.answered)
    notice = await _answer_notice(uow, r, p, answer, answered_on)
    pauses = await pauses_of(uow.session, r)
    assert r.clock_start is not None  # set at receipt, and the guard admits only received requests
    taken = cal.workdays_between(r.clock_start, answered_on, excluded=lambda d: any(x.covers(d, answered_on) for x in pauses))
    record(
        uow,
        r,
        p,
        Action.dispatch_answer,
        prev,
        ev.AnswerDispatched,
        notify_applicant=True,
        answer_id=answer.id,
        category=answer.category,
        reason=answer.reason,
        answered_on=answered_on,
        on_time=r.due_on is not None and answered_on <= r.due_on,
        working_days_taken=taken,
        provided=await _provided(uow, answer),
        notice=notices.ref(notice),
    )


async def _answer_notice(uow: UnitOfWork, r: DisclosureRequest, p: Principal, answer: Answer, answered_on: date):
    """The 答复书: the reviewed letter, the exempt parts and referral, the files given, on the law its reason rests on."""
    files = (
        list((await uow.session.execute(select(Attachment.filename).where(Attachment.id.in_(answer.document_ids)))).scalars())
        if answer.document_ids
        else []
    )
    return await notices.issue(
        uow,
        r,
        NoticeKind.answer,
        issued_on=answered_on,
        principal=p,
        reference_id=answer.id,
        context={
            "letter": [line.strip() for line in answer.letter.splitlines() if line.strip()],
            "exempt_parts": answer.exempt_parts or [],
            "referral": answer.referral,
            "documents": sorted(files),
            "outcome_label": f"{CATEGORY_LABELS[AnswerCategory(answer.category)]}（{REASONS[AnswerCategory(answer.category)][answer.reason]}）",
        },
        provisions=answer_provisions(answer.category, answer.reason, record_correction=r.kind == "record_correction"),
    )


async def _provided(uow: UnitOfWork, answer: Answer) -> list[ev.ProvidedDocument]:
    """The files given with a disclosing answer, by digest (for the catalog's Art. 44 suggestions)."""
    if not answer.document_ids or answer.category not in ("disclosed", "partially_disclosed"):
        return []
    rows = (await uow.session.execute(select(Attachment).where(Attachment.id.in_(answer.document_ids)))).scalars()
    return [ev.ProvidedDocument(sha256=a.sha256, filename=a.filename) for a in sorted(rows, key=lambda a: a.id)]


async def close(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal | None, action: Action | str, reason: str, today: date, note: str | None
) -> None:
    """End the request without an answer letter; it still counts in the annual report as 其他处理."""
    r.outcome_category, r.outcome_reason, r.closed_on = AnswerCategory.other.value, reason, today
    for pause in await _open_pauses(uow, r):
        pause.end = today
    prev = move(r, State.closed)
    record(
        uow,
        r,
        p,
        action,
        prev,
        ev.RequestClosed,
        note=note,
        notify_applicant=True,
        category=AnswerCategory.other.value,
        reason=reason,
        closed_on=today,
    )


async def _open_pauses(uow: UnitOfWork, r: DisclosureRequest) -> list[RequestPause]:
    return list(
        (await uow.session.execute(select(RequestPause).where(RequestPause.request_id == r.id, RequestPause.end.is_(None)))).scalars()
    )


async def withdraw(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.WithdrawIn, cal: WorkCalendar, today: date) -> None:
    guard(r, Action.withdraw)
    withdrawn_on, late = acted_on(r, cmd, today)
    await close(uow, r, p, Action.withdraw, "other", withdrawn_on, with_note(cmd.reason or "申请人撤回申请", late))


async def record_remedy(uow: UnitOfWork, r: DisclosureRequest, p: Principal, cmd: c.RemedyIn, cal: WorkCalendar, today: date) -> Remedy:
    require_date_not_future(cmd.filed_on, today, "filed_on")
    against_silence = r.state not in FINISHED_STATES
    if not remedy_against_silence_allowed(State(r.state), r.due_on, cmd.filed_on):
        raise Problem(
            409,
            "remedy_not_yet_possible",
            "申请尚在办理且未超过答复期限（或计时暂停中），不能登记投诉、复议或诉讼；答复、终止或逾期未答复后方可登记",
            current_state=r.state,
            due_on=r.due_on.isoformat() if r.due_on else None,
        )
    remedy = Remedy(
        request_id=r.id, kind=cmd.kind.value, filed_on=cmd.filed_on, authority=cmd.authority, case_number=cmd.case_number, recorded_by=p.sub
    )
    uow.session.add(remedy)
    await uow.session.flush()
    record(
        uow,
        r,
        p,
        Action.record_remedy,
        r.state,
        ev.RemedyRecorded,
        note="针对逾期不答复" if against_silence else None,
        remedy_id=remedy.id,
        remedy_kind=remedy.kind,
        filed_on=cmd.filed_on,
        against_silence=against_silence,
    )
    return remedy


async def decide_remedy(
    uow: UnitOfWork, r: DisclosureRequest, p: Principal, remedy_id: str, cmd: c.RemedyDecisionIn, cal: WorkCalendar, today: date
) -> None:
    """A 纠正 (corrected) outcome reopens an answered or closed request for a new answer with a new deadline;
    an open one (a remedy against silence, or a request already reopened) is still owed its answer and stays as it is."""
    # Any state: a remedy exists only where one could be recorded (a finished request, or silence).
    remedy = await uow.session.get(Remedy, remedy_id)
    if remedy is None or remedy.request_id != r.id:
        raise Problem(404, "remedy_not_found", "救济记录不存在")
    if remedy.outcome != RemedyOutcome.pending.value:
        raise Problem(409, "remedy_decided", "该救济已登记结果")
    require_date_not_future(cmd.decided_on, today, "decided_on")
    if cmd.outcome == RemedyOutcome.pending:
        raise Problem(422, "outcome_required", "请登记审结结果", errors=[{"field": "outcome", "message": "不能为尚未审结"}])
    remedy.outcome, remedy.decided_on, remedy.note = cmd.outcome.value, cmd.decided_on, cmd.note
    record(
        uow,
        r,
        p,
        Action.decide_remedy,
        r.state,
        ev.RemedyDecided,
        note=cmd.note,
        remedy_id=remedy.id,
        remedy_kind=remedy.kind,
        outcome=cmd.outcome.value,
        decided_on=cmd.decided_on,
    )
    if cmd.outcome == RemedyOutcome.corrected and r.state in FINISHED_STATES:
        r.round += 1
        r.clock_start = cmd.decided_on
        r.extension_status = r.extension_requested_by = r.extension_reason = r.extension_decided_by = None
        r.extension_days, r.extension_requested_days = 0, None
        r.later_due_on = r.later_due_reason = None
        r.outcome_category = r.outcome_reason = None
        r.answered_on = r.closed_on = None
        prev = move(r, State.in_progress)
        await refresh_due(uow.session, cal, r, today)
        record(uow, r, p, "reopen", prev, ev.RequestReopened, notify_applicant=True, remedy_id=remedy.id)
