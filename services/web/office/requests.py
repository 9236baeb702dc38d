"""依申请公开 on the workbench: the queue, a request's page, and one form per workflow step.

Every call carries the officer's own token; the requests API decides what they may see and do,
and its Chinese problem text is what the officer reads when it refuses.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from services.web import labels
from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, CheckedForm, PageError, redirect, render
from services.web.downloads import private_download
from services.web.filters import TZ, cn_date
from services.web.myrequests import is_id, notices_of
from services.web.office import requests_forms as forms
from services.web.office import requests_labels as L
from services.web.office import requests_steps as steps
from services.web.office.deps import ROLE_LABELS, OfficerSession, OfficerToken, problem_errors
from services.web.session import Session

router = APIRouter()
PAGE_SIZE = 20


def county_today() -> date:
    return datetime.now(TZ).date()


def officer_of(s: Session) -> steps.Officer:
    return steps.Officer(s.sub, frozenset(s.roles))


async def agency_names(api: Backends) -> dict[str, str]:
    return {a["id"]: a["name"] for a in await api.get_json("requests", "/agencies")}


def _int(value: str | None, low: int, high: int) -> int | None:
    return int(value) if value and value.isdigit() and low <= int(value) <= high else None


@router.get("/office/requests", summary="依申请公开办理队列（工作人员）")
async def queue(
    request: Request,
    api: Api,
    s: OfficerSession,
    token: OfficerToken,
    state: str = "",
    due_within: str = "",
    overdue: str = "",
    assignee: str = "",
    q: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=10000),
) -> Response:
    days = _int(due_within, 0, 60)
    filters = {
        "state": state if state in L.STATES else "",
        "due_within": str(days) if days is not None else "",
        "overdue": "1" if overdue else "",
        "assignee": assignee if assignee == "me" or is_id(assignee) else "",
        "q": q.strip(),
    }
    params: dict[str, Any] = {"page": page, "page_size": PAGE_SIZE, "sort": "due_on"}
    if filters["state"]:
        params["state"] = filters["state"]
    if days is not None:
        params["due_within_days"] = days
    if filters["overdue"]:
        params["overdue"] = "true"
    if filters["assignee"]:
        params["assignee"] = s.sub if filters["assignee"] == "me" else filters["assignee"]
    if filters["q"]:
        params["q"] = filters["q"]
    listing, officers, names = await asyncio.gather(
        api.get_json("requests", "/queue", token=token, params=params),
        api.get_json("requests", "/assignees", token=token),
        agency_names(api),
    )
    people = {o["id"]: o["name"] for o in officers}
    items = [
        {
            **r,
            "urgency": L.urgency(r),
            "agency_name": names.get(r["agency_id"], ""),
            "assignee_name": people.get(r.get("assignee_sub") or "", ""),
        }
        for r in listing["items"]
    ]
    pages = max(1, -(-int(listing["total"]) // PAGE_SIZE))
    kept = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "office/requests/queue.html",
        {
            "title": "依申请公开办理队列",
            "items": items,
            "total": listing["total"],
            "page": page,
            "pages": pages,
            "filters": filters,
            "page_link": lambda n: "/office/requests?" + urlencode({**kept, "page": n}),
            "officers": officers,
            "L": L,
            "calendar_warning": listing.get("calendar_warning"),
            "may_register": s.has_any("registrar"),
            "may_post": s.has_any("registrar", "handler", "head", "admin"),
        },
    )


async def _detail(api: Backends, token: str, request_id: str) -> dict[str, Any]:
    if not is_id(request_id):
        raise PageError(404, "未找到", "没有找到这份申请。")
    return await api.get_json("requests", f"/requests/{request_id}", token=token)


@router.get(
    "/office/requests/{request_id}",
    summary="申请办理页：申请人信息（按接口脱敏）、期限及计算、暂停、时间线、文件、通知书和可办理的步骤（工作人员）",
)
async def request_page(request: Request, request_id: str, api: Api, s: OfficerSession, token: OfficerToken) -> Response:
    detail = await _detail(api, token, request_id)
    officers, names, notices = await asyncio.gather(
        api.get_json("requests", "/assignees", params={"request_id": detail["id"]}, token=token),
        agency_names(api),
        notices_of(api, token, detail["id"]),
    )
    people = {o["id"]: o["name"] for o in officers}
    return render(
        request,
        "office/requests/detail.html",
        {
            "title": f"申请 {detail['tracking_number']}",
            "r": detail,
            "agency_name": names.get(detail["agency_id"], ""),
            "people": people,
            "notices": notices,
            "due_lines": labels.due_in_words(detail.get("due"), detail.get("days_remaining"), detail.get("overdue", False)),
            "urgency": L.urgency(detail),
            "steps": steps.allowed_steps(detail, officer_of(s)),
            "may_reissue": s.has_any("registrar") and detail["state"] not in ("closed",),
            "L": L,
            "labels": labels,
        },
    )


async def _step_choices(api: Backends, token: str, step: steps.Step, detail: dict[str, Any]) -> dict[str, dict[str, str]]:
    if step.action == "assign":
        officers = await api.get_json("requests", "/assignees", params={"request_id": detail["id"]}, token=token)
        roles = lambda o: "、".join(ROLE_LABELS.get(r, r) for r in o["roles"])  # noqa: E731
        return {"assignee_sub": {o["id"]: f"{o['name']}（{roles(o)}）" for o in officers}}
    if step.action == "record_consultation_reply":
        return {"consultation": steps.open_consultations(detail)}
    if step.action == "decide_remedy":
        return {"remedy": steps.pending_remedies(detail)}
    if step.action == "propose_answer":
        return {"category_reason": forms.answer_choices()}
    return {}


def _step_of(detail: dict[str, Any], action: str, s: Session) -> steps.Step:
    step = steps.STEPS.get(action)
    if step is None:
        raise PageError(404, "未找到", "没有这个办理步骤。")
    if step not in steps.allowed_steps(detail, officer_of(s)):
        raise PageError(
            409,
            "现在不能办理此步骤",
            f"申请当前状态为“{detail['state_label']}”，您现在不能“{step.title}”。请返回申请办理页查看可办理的步骤。",
        )
    return step


def _step_page(request: Request, detail: dict, step: steps.Step, values: dict, errors: dict, choices: dict) -> Response:
    return render(
        request,
        "office/requests/step.html",
        {"title": step.title, "r": detail, "step": step, "values": values, "errors": errors, "choices": choices, "L": L},
        status_code=400 if errors else 200,
    )


@router.get("/office/requests/{request_id}/steps/{action}", summary="办理步骤表单：说明、填写、确认按钮（有权办理此步骤的工作人员）")
async def step_page(request: Request, request_id: str, action: str, api: Api, s: OfficerSession, token: OfficerToken) -> Response:
    detail = await _detail(api, token, request_id)
    step = _step_of(detail, action, s)
    return _step_page(
        request, detail, step, forms.defaults(step, detail, county_today()), {}, await _step_choices(api, token, step, detail)
    )


async def _upload_answer_files(api: Backends, token: str, form: Any) -> tuple[list[str], str | None]:
    ids: list[str] = []
    for upload in form.getlist("files"):
        if not getattr(upload, "filename", None):
            continue
        data = await upload.read()
        if not data:
            continue
        try:
            stored = await api.call(
                "requests",
                "POST",
                "/attachments",
                token=token,
                data={"purpose": "answer_document"},
                files={"file": (upload.filename, data, upload.content_type or "application/octet-stream")},
            )
        except ApiProblem as problem:
            return ids, f"{upload.filename}：{problem.detail}"
        ids.append(stored.json()["id"])
    return ids, None


@router.post("/office/requests/{request_id}/steps/{action}", summary="办理步骤：提交（有权办理此步骤的工作人员）")
async def take_step(
    request: Request, request_id: str, action: str, api: Api, s: OfficerSession, token: OfficerToken, form: CheckedForm
) -> Response:
    detail = await _detail(api, token, request_id)
    step = _step_of(detail, action, s)
    choices = await _step_choices(api, token, step, detail)
    values = forms.values_of(step, form)
    errors = forms.check(step, values, choices, county_today())
    document_ids: list[str] = []
    if not errors and step.action == "propose_answer":
        document_ids, file_error = await _upload_answer_files(api, token, form)
        if file_error:
            errors = {"files": file_error}
    if not errors:
        version = values.get("version") or ""
        headers = {"If-Match": f'"{detail["id"]}.{version}"'} if version.isdigit() else {}
        try:
            done = await api.post_json(
                "requests",
                forms.api_path(step, detail["id"], values),
                forms.body_of(step, values, document_ids),
                token=token,
                headers=headers,
            )
        except ApiProblem as problem:
            names = tuple(f.name for f in step.fields)
            errors = problem_errors(problem, names + ("items", "category", "reason", "referral", "document_ids", "approve"))
            errors = {("category_reason" if k in ("category", "reason") else "form" if k not in names else k): v for k, v in errors.items()}
        else:
            s.set_flash(notice=_done_notice(step, done))
            return redirect(f"/office/requests/{detail['id']}")
    return _step_page(request, detail, step, values, errors, choices)


def _done_notice(step: steps.Step, done: dict[str, Any]) -> str:
    text = f"已{step.title}。申请当前状态：{done.get('state_label', '')}。"
    if step.action == "issue_fee_notice" and done.get("fee"):
        text += f"系统计算的信息处理费为 {done['fee'].get('amount_yuan', 0)} 元。"
    if done.get("due") and done["due"].get("due_on"):
        text += f"答复期限：{cn_date(done['due']['due_on'])}。"
    return text


@router.get("/office/requests/{request_id}/files/{attachment_id}", summary="下载答复文件（有权查看该申请的工作人员）")
async def download(request_id: str, attachment_id: str, api: Api, token: OfficerToken) -> Response:
    detail = await _detail(api, token, request_id)
    if not any(attachment_id in (a.get("document_ids") or []) for a in detail.get("answers") or []):
        raise PageError(404, "未找到", "没有找到这个文件。")
    return await private_download(api, "requests", f"/attachments/{attachment_id}", token, "答复文件")


@router.get("/office/requests/{request_id}/notices/{notice_id}/pdf", summary="下载通知书 PDF，供打印或寄送（有权查看该申请的工作人员）")
async def notice_pdf(request_id: str, notice_id: str, api: Api, token: OfficerToken) -> Response:
    if not (is_id(request_id) and is_id(notice_id)):
        raise PageError(404, "未找到", "没有找到这份通知书。")
    return await private_download(api, "requests", f"/requests/{request_id}/notices/{notice_id}/pdf", token, "通知书.pdf")
