"""Requests: submission by applicants and registrars, reading, and every workflow action."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder

from services.requests.adapters.orm import DisclosureRequest
from services.requests.adapters.repository import SORTS, RequestRepository
from services.requests.api.deps import check_if_match, etag, today, visible_request
from services.requests.domain.applicant import Channel
from services.requests.domain.workflow import ACTION_ROLES, Action, State
from services.requests.service import actions, intake, notices
from services.requests.service import commands as c
from services.requests.service.access import check_role, visible_agencies
from services.requests.service.accounts import resolve_applicant
from services.requests.service.deadlines import load_calendar, pauses_of, pauses_of_many
from services.requests.service.views import detail_view, summary_view, timeline_entry
from shared.auth import OFFICER_ROLES, Principal, Role, current_principal, require
from shared.bounds import Page
from shared.errors import Problem
from shared.service import UoW
from shared.workdays import next_year_warning

router = APIRouter(tags=["依申请公开"])
Caller = Annotated[Principal, Depends(current_principal)]
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]
Applicant = Annotated[Principal, Depends(require(Role.applicant))]
Registrar = Annotated[Principal, Depends(require(Role.registrar))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, description="重试时保持不变，避免重复提交")]


def _print_notices(uow, request: Request) -> None:
    """The PDFs of the notices the step issued, printed once it commits (or on first download)."""
    if request.app.state.settings.notice_print_after_step:
        notices.print_after_commit(uow, request.app.state.runtime.uow, request.app.state.storage)


async def _detail(
    uow, principal: Principal, r: DisclosureRequest, request: Request, response: Response, *, new: bool = False
) -> dict[str, Any]:
    repo = RequestRepository(uow.session)
    calendar = await load_calendar(uow.session)
    if new:  # just created: nothing to look up but its own timeline
        view = detail_view(
            r, principal, calendar, [], today(request), history=await repo.history(r.id), consultations=[], answers=[], remedies=[]
        )
    else:
        view = detail_view(
            r,
            principal,
            calendar,
            await pauses_of(uow.session, r),
            today(request),
            history=await repo.history(r.id),
            consultations=await repo.consultations(r.id),
            answers=await repo.answers(r.id),
            remedies=await repo.remedies(r.id),
        )
    response.headers["ETag"] = etag(r)
    return view


async def _submitted(
    uow, principal: Principal, command, channel: Channel, received_on, applicant_sub, request: Request, response: Response, key: str | None
) -> dict[str, Any]:
    attachments = await intake.attachment_digests(uow, principal.sub, command.attachment_ids)
    body_fingerprint = intake.fingerprint(
        command.model_dump(mode="json", exclude={"attachment_ids"}) | {"channel": channel.value, "attachments": attachments}
    )
    if key and (stored := await intake.replay(uow, principal.sub, key, body_fingerprint)):
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Location"] = f"{request.url.path.rsplit('/', 1)[0]}/requests/{stored['id']}"
        return stored
    settings = request.app.state.settings
    r, code = await intake.create_request(
        uow,
        principal,
        command,
        channel=channel,
        received_on=received_on,
        applicant_sub=applicant_sub,
        today=today(request),
        default_rule_set=settings.rule_set,
    )
    _print_notices(uow, request)
    view = await _detail(uow, principal, r, request, response, new=True)
    result = jsonable_encoder({**view, "query_code": code})
    if key:
        await intake.remember(uow, principal.sub, key, body_fingerprint, r.id, result)
    response.headers["Location"] = str(request.url_for("get_request", request_id=r.id))
    return result


@router.post(
    "/requests",
    status_code=201,
    summary="提交政府信息公开申请（申请人）",
    description="网上或微信小程序提交，当即确认收到（第三十一条）。返回受理编号与查询码；查询码只显示这一次。"
    "带 `Idempotency-Key` 重试不会重复提交。",
)
async def submit(
    body: c.RequestIn,
    uow: UoW,
    principal: Applicant,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
    channel: Annotated[Literal["online", "wechat"], Query(description="提交渠道")] = "online",
) -> dict[str, Any]:
    principal = await resolve_applicant(uow, principal)  # a merged account's last token submits as the survivor
    return await _submitted(uow, principal, body, Channel(channel), today(request), principal.sub, request, response, key)


@router.post("/registrations", status_code=201, summary="代为登记申请：信函、传真、电子邮件、当面或口头（登记人员）")
async def register(
    body: c.RegistrationIn, uow: UoW, principal: Registrar, request: Request, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    if body.channel in (Channel.online, Channel.wechat):
        raise Problem(
            422, "channel_not_registrable", "网上申请由申请人本人提交", errors=[{"field": "channel", "message": "不适用于代为登记"}]
        )
    received_on = intake.receipt_date_for(body.channel, body.received_on, today(request))
    command = c.RequestIn.model_validate(body.model_dump(exclude={"channel", "received_on", "applicant_sub"}))
    return await _submitted(uow, principal, command, body.channel, received_on, body.applicant_sub, request, response, key)


@router.post(
    "/requests/{request_id}/query-code",
    summary="重新发放查询码（登记人员；原查询码随即失效）",
    description="纸质、电话等渠道的申请人遗失查询码时，由登记人员重新发放，用于打印新的受理回执。新查询码只显示这一次，"
    "时间线记录“重新发放查询码”，不记录查询码本身。",
)
async def reissue_query_code(
    request_id: str, body: c.ReissueQueryCodeIn, uow: UoW, principal: Registrar, request: Request, response: Response
) -> dict[str, Any]:
    r = await visible_request(uow, principal, request_id)
    code = intake.reissue_query_code(uow, r, principal, body.reason)
    await intake.issue_receipt(uow, r, principal, code, today(request))  # a new receipt carries the new code
    _print_notices(uow, request)
    return jsonable_encoder({**await _detail(uow, principal, r, request, response), "query_code": code})


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise Problem(422, "invalid_sort", f"排序字段无效，可选：{', '.join(SORTS)}", errors=[{"field": "sort", "message": "无效"}])


@router.get("/requests/mine", summary="我的申请（申请人，仅本人）")
async def my_requests(
    uow: UoW,
    principal: Applicant,
    request: Request,
    state: State | None = None,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: str = "-submitted_at",
) -> dict[str, Any]:
    _check_sort(sort)
    repo = RequestRepository(uow.session)
    rows, total = await repo.page(repo.of_applicant(principal.sub, state.value if state else None), sort, page, page_size)
    return await _listing(uow, principal, rows, total, page, page_size, request)


async def _listing(uow, principal, rows, total, page, page_size, request) -> dict[str, Any]:
    calendar = await load_calendar(uow.session)
    pauses = await pauses_of_many(uow.session, list(rows))
    items = [summary_view(r, principal, calendar, pauses[r.id], today(request)) for r in rows]
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.get(
    "/queue",
    summary="本机关（含下级）申请办理队列（工作人员）",
    description="按状态、承办人、“N 个工作日内到期”、“已逾期”、关键词筛选；按到期日或提交时间排序。",
)
async def queue(
    uow: UoW,
    principal: Officer,
    request: Request,
    state: State | None = None,
    assignee: str | None = None,
    agency_id: str | None = None,
    due_within_days: Annotated[int | None, Query(ge=0, le=60, description="N 个工作日内到期")] = None,
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: str = "due_on",
) -> dict[str, Any]:
    _check_sort(sort)
    calendar = await load_calendar(uow.session)
    day = today(request)
    repo = RequestRepository(uow.session)
    query = repo.queue(
        await visible_agencies(uow.session, principal),
        state=state.value if state else None,
        assignee=assignee,
        due_by=calendar.add_workdays(day, due_within_days) if due_within_days is not None else None,
        overdue_on=day if overdue else None,
        text=q,
        agency_id=agency_id,
    )
    rows, total = await repo.page(query, sort, page, page_size)
    listing = await _listing(uow, principal, rows, total, page, page_size, request)
    # From 1 November, while next year's holidays are not entered: every officer's queue says so.
    listing["calendar_warning"] = next_year_warning(calendar, day)
    return listing


@router.get(
    "/requests/{request_id}",
    name="get_request",
    summary="申请详情（申请人本人或有权的工作人员）",
    description="含答复期限及其计算过程、暂停区间、时间线、可执行的操作；响应头 ETag 用于 If-Match。",
)
async def get_request(request_id: str, uow: UoW, principal: Caller, request: Request, response: Response) -> dict[str, Any]:
    return await _detail(uow, principal, await visible_request(uow, principal, request_id), request, response)


@router.get(
    "/requests/{request_id}/timeline",
    summary="办理时间线（申请人本人或有权的工作人员）",
    description="申请人看到每一步的时间与状态；工作人员另见操作人和理由。",
)
async def timeline(request_id: str, uow: UoW, principal: Caller) -> list[dict[str, Any]]:
    r = await visible_request(uow, principal, request_id)
    return [timeline_entry(h, with_notes=principal.is_officer) for h in await RequestRepository(uow.session).history(r.id)]


async def _act(
    action: Action, request_id: str, uow, principal: Principal, request: Request, response: Response, step, *args
) -> dict[str, Any]:
    r = await visible_request(uow, principal, request_id)
    check_role(principal, action, r)
    check_if_match(request, r)
    await step(uow, r, principal, *args, await load_calendar(uow.session), today(request))
    _print_notices(uow, request)
    await uow.session.flush()
    return await _detail(uow, principal, r, request, response)


ACTION_DESCRIPTION = "状态机动作。非法状态返回 409（含当前状态与可执行操作）；If-Match 过期返回 412。"


def _summary(text: str, action: Action) -> str:
    """The route's summary names who may take the action (the state machine's roles)."""
    return f"{text}（{'、'.join(r.value for r in ACTION_ROLES[action])}）"


def _with_id(step, item_id: str):
    async def bound(uow, r, principal, body, calendar, day):
        return await step(uow, r, principal, item_id, body, calendar, day)

    return bound


# One route per workflow action, each declared where a person grepping its URL looks for it.
@router.post(
    "/requests/{request_id}/confirm-receipt",
    summary=_summary("确认收到申请（第三十一条）", Action.confirm_receipt),
    description=ACTION_DESCRIPTION,
)
async def confirm_receipt_endpoint(
    request_id: str, body: c.ConfirmReceiptIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.confirm_receipt, request_id, uow, principal, request, response, actions.confirm_receipt, body)


@router.post("/requests/{request_id}/assign", summary=_summary("分办给承办人", Action.assign), description=ACTION_DESCRIPTION)
async def assign_endpoint(
    request_id: str, body: c.AssignIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.assign, request_id, uow, principal, request, response, actions.assign, body)


@router.post(
    "/requests/{request_id}/correction-notice",
    summary=_summary("一次性告知补正（第三十条）", Action.request_correction),
    description=ACTION_DESCRIPTION,
)
async def request_correction_endpoint(
    request_id: str, body: c.CorrectionNoticeIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.request_correction, request_id, uow, principal, request, response, actions.request_correction, body)


@router.post(
    "/requests/{request_id}/correction",
    summary=_summary("提交补正，重新起算答复期限", Action.submit_correction),
    description=ACTION_DESCRIPTION,
)
async def submit_correction_endpoint(
    request_id: str, body: c.CorrectionIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.submit_correction, request_id, uow, principal, request, response, actions.submit_correction, body)


@router.post(
    "/requests/{request_id}/consultations",
    summary=_summary("征求第三方或其他机关意见（第三十二、三十四条）", Action.start_consultation),
    description=ACTION_DESCRIPTION,
)
async def start_consultation_endpoint(
    request_id: str, body: c.ConsultationIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.start_consultation, request_id, uow, principal, request, response, actions.start_consultation, body)


@router.post(
    "/requests/{request_id}/consultations/{item_id}/reply",
    summary=_summary("登记征求意见回复", Action.record_consultation_reply),
    description=ACTION_DESCRIPTION,
)
async def record_consultation_reply_endpoint(
    request_id: str, item_id: str, body: c.ConsultationReplyIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(
        Action.record_consultation_reply,
        request_id,
        uow,
        principal,
        request,
        response,
        _with_id(actions.record_consultation_reply, item_id),
        body,
    )


@router.post(
    "/requests/{request_id}/fee-notice",
    summary=_summary("发出信息处理费缴费通知（国办函〔2020〕109号）", Action.issue_fee_notice),
    description=ACTION_DESCRIPTION,
)
async def issue_fee_notice_endpoint(
    request_id: str, body: c.FeeNoticeIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.issue_fee_notice, request_id, uow, principal, request, response, actions.issue_fee_notice, body)


@router.post("/requests/{request_id}/payment", summary=_summary("登记缴费", Action.record_payment), description=ACTION_DESCRIPTION)
async def record_payment_endpoint(
    request_id: str, body: c.PaymentIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.record_payment, request_id, uow, principal, request, response, actions.record_payment, body)


@router.post(
    "/requests/{request_id}/extension",
    summary=_summary("申请延期答复（第三十三条）", Action.request_extension),
    description=ACTION_DESCRIPTION,
)
async def request_extension_endpoint(
    request_id: str, body: c.ExtensionIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.request_extension, request_id, uow, principal, request, response, actions.request_extension, body)


@router.post(
    "/requests/{request_id}/extension/decision",
    summary=_summary("审批延期（不得审批本人申请）", Action.decide_extension),
    description=ACTION_DESCRIPTION,
)
async def decide_extension_endpoint(
    request_id: str, body: c.ExtensionDecisionIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.decide_extension, request_id, uow, principal, request, response, actions.decide_extension, body)


@router.post(
    "/requests/{request_id}/later-answer-date",
    summary=_summary("确定延后答复期限（第三十五条）", Action.set_later_answer_date),
    description=ACTION_DESCRIPTION,
)
async def set_later_answer_date_endpoint(
    request_id: str, body: c.LaterAnswerDateIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.set_later_answer_date, request_id, uow, principal, request, response, actions.set_later_answer_date, body)


@router.post(
    "/requests/{request_id}/answer", summary=_summary("拟定答复，提交保密审查", Action.propose_answer), description=ACTION_DESCRIPTION
)
async def propose_answer_endpoint(
    request_id: str, body: c.AnswerIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.propose_answer, request_id, uow, principal, request, response, actions.propose_answer, body)


@router.post(
    "/requests/{request_id}/review/approve",
    summary=_summary("保密审查通过（不得审查本人拟定的答复）", Action.approve_review),
    description=ACTION_DESCRIPTION,
)
async def approve_review_endpoint(
    request_id: str, body: c.ReviewIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.approve_review, request_id, uow, principal, request, response, actions.approve_review, body)


@router.post(
    "/requests/{request_id}/review/return", summary=_summary("保密审查退回并说明理由", Action.return_review), description=ACTION_DESCRIPTION
)
async def return_review_endpoint(
    request_id: str, body: c.ReturnIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.return_review, request_id, uow, principal, request, response, actions.return_review, body)


@router.post("/requests/{request_id}/answer/dispatch", summary=_summary("送达答复", Action.dispatch_answer), description=ACTION_DESCRIPTION)
async def dispatch_answer_endpoint(
    request_id: str, body: c.DispatchIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.dispatch_answer, request_id, uow, principal, request, response, actions.dispatch_answer, body)


@router.post("/requests/{request_id}/withdraw", summary=_summary("撤回申请", Action.withdraw), description=ACTION_DESCRIPTION)
async def withdraw_endpoint(
    request_id: str, body: c.WithdrawIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.withdraw, request_id, uow, principal, request, response, actions.withdraw, body)


@router.post(
    "/requests/{request_id}/remedies",
    summary=_summary("登记投诉、行政复议或行政诉讼", Action.record_remedy),
    description=ACTION_DESCRIPTION,
)
async def record_remedy_endpoint(
    request_id: str, body: c.RemedyIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.record_remedy, request_id, uow, principal, request, response, actions.record_remedy, body)


@router.post(
    "/requests/{request_id}/remedies/{item_id}/decision",
    summary=_summary("登记复议或诉讼结果；“纠正”将重新办理", Action.decide_remedy),
    description=ACTION_DESCRIPTION,
)
async def decide_remedy_endpoint(
    request_id: str, item_id: str, body: c.RemedyDecisionIn, uow: UoW, principal: Caller, request: Request, response: Response
) -> dict[str, Any]:
    return await _act(Action.decide_remedy, request_id, uow, principal, request, response, _with_id(actions.decide_remedy, item_id), body)
