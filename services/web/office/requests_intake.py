"""Registrars' screens: registering a letter, fax, e-mail, walk-in or oral request; its printable receipt with the
受理编号 and 查询码; reissuing a lost query code; and the notices to mail, marked posted once in the envelope.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from services.web import applyform, labels
from services.web.applyform import GENERAL, PERSON
from services.web.backends import ApiProblem
from services.web.deps import Api, CheckedForm, PageError, redirect, render
from services.web.myrequests import is_id
from services.web.office import requests_labels as L
from services.web.office.deps import OfficerSession, officer_with, problem_errors
from services.web.office.requests import agency_names, county_today
from services.web.session import Session
from shared.trees import descendants

router = APIRouter()
RegistrarToken = Annotated[str, Depends(officer_with("registrar"))]
MailerToken = Annotated[str, Depends(officer_with("registrar", "handler", "head", "admin"))]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def registrable_agencies(api: Any, s: Session) -> dict[str, str]:
    """The registrar's agency and those below it (where the API lets them register), by name."""
    agencies = await api.get_json("requests", "/agencies")
    scope = descendants([(a["id"], a.get("parent_id")) for a in agencies], s.agency_id) if s.agency_id else None
    return {a["id"]: a["name"] for a in agencies if scope is None or a["id"] in scope}


def _register_page(request: Request, kind: str, values: dict, errors: dict, agencies: dict[str, str]) -> Response:
    return render(
        request,
        "office/requests/register.html",
        {
            "title": "登记申请",
            "kind": kind,
            "values": values,
            "errors": errors,
            "labels": labels,
            "L": L,
            "agencies": list(agencies.items()),
        },
        status_code=400 if errors else 200,
    )


@router.get("/office/requests/new", summary="登记信函、传真、电子邮件、当面或口头申请（登记人员）")
async def register_page(request: Request, api: Api, s: OfficerSession, token: RegistrarToken, type: str = PERSON) -> Response:
    kind = applyform.kind_of(type) or PERSON
    values = {
        "channel": "registered_post",
        "received_on": county_today().isoformat(),
        "preferred_form": "paper",
        "agency_id": s.agency_id or "",
        "submission_key": secrets.token_urlsafe(18),
    }
    if kind == PERSON:
        values["applicant.id_type"] = "resident_id"
    return _register_page(request, kind, values, {}, await registrable_agencies(api, s))


@router.post("/office/requests/new", summary="登记申请（登记人员）")
async def register(request: Request, api: Api, s: OfficerSession, token: RegistrarToken, form: CheckedForm) -> Response:
    kind = applyform.kind_of(str(form.get("applicant.type") or "")) or PERSON
    agencies = await registrable_agencies(api, s)
    values = applyform.text_values(form, kind)
    values.update(channel=str(form.get("channel") or ""), received_on=str(form.get("received_on") or "").strip())
    errors = applyform.validate(values, kind, set(agencies))
    if values["channel"] not in L.CHANNELS:
        errors = {"channel": "请选择申请方式", **errors}
    if values["received_on"] and not _DATE.match(values["received_on"]):
        errors["received_on"] = f"收到日期格式应为 年-月-日，如 {county_today().isoformat()}"
    if not errors:
        body = applyform.request_body(values, kind, [])
        body["channel"] = values["channel"]
        if values["received_on"]:
            body["received_on"] = values["received_on"]
        key = values.get("submission_key") or secrets.token_urlsafe(18)
        try:
            created = await api.post_json("requests", "/registrations", body, token=token, headers={"Idempotency-Key": key})
        except ApiProblem as problem:
            errors = applyform.api_errors(problem.errors, problem.detail, kind, field_names={"channel": GENERAL, "received_on": GENERAL})
        else:
            s.set_flash(receipt={"id": created["id"], "query_code": created["query_code"]})
            return redirect(f"/office/requests/{created['id']}/receipt")
    return _register_page(request, kind, values, errors, agencies)


@router.get("/office/requests/{request_id}/receipt", summary="受理回执（可打印；查询码仅在登记或重新发放后显示一次）")
async def receipt(request: Request, request_id: str, api: Api, s: OfficerSession, token: RegistrarToken) -> Response:
    if not is_id(request_id):
        raise PageError(404, "未找到", "没有找到这份申请。")
    detail = await api.get_json("requests", f"/requests/{request_id}", token=token)
    shown = s.pop_flash().get("receipt") or {}
    code = shown.get("query_code") if shown.get("id") == detail["id"] else None
    names = await agency_names(api)
    return render(
        request,
        "office/requests/receipt.html",
        {
            "title": f"受理回执 {detail['tracking_number']}",
            "r": detail,
            "query_code": code,
            "agency_name": names.get(detail["agency_id"], ""),
            "channel": L.ALL_CHANNELS.get(detail.get("channel") or "", detail.get("channel") or ""),
            "due_lines": labels.due_in_words(detail.get("due"), detail.get("days_remaining"), detail.get("overdue", False)),
        },
    )


@router.get("/office/requests/{request_id}/query-code", summary="重新发放查询码：确认页（登记人员）")
async def reissue_page(request: Request, request_id: str, api: Api, s: OfficerSession, token: RegistrarToken) -> Response:
    if not is_id(request_id):
        raise PageError(404, "未找到", "没有找到这份申请。")
    detail = await api.get_json("requests", f"/requests/{request_id}", token=token)
    return render(request, "office/requests/reissue.html", {"title": "重新发放查询码", "r": detail, "values": {}, "errors": {}})


@router.post("/office/requests/{request_id}/query-code", summary="重新发放查询码（登记人员；原查询码随即失效）")
async def reissue(request: Request, request_id: str, api: Api, s: OfficerSession, token: RegistrarToken, form: CheckedForm) -> Response:
    if not is_id(request_id):
        raise PageError(404, "未找到", "没有找到这份申请。")
    reason = str(form.get("reason") or "").strip()
    errors: dict[str, str] = {}
    if len(reason) > 200:
        errors["reason"] = "原因不能超过 200 个字"
    if not errors:
        try:
            done = await api.post_json("requests", f"/requests/{request_id}/query-code", {"reason": reason or None}, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("reason",))
        else:
            s.set_flash(receipt={"id": done["id"], "query_code": done["query_code"]})
            return redirect(f"/office/requests/{done['id']}/receipt")
    detail = await api.get_json("requests", f"/requests/{request_id}", token=token)
    return render(
        request,
        "office/requests/reissue.html",
        {"title": "重新发放查询码", "r": detail, "values": {"reason": reason}, "errors": errors},
        status_code=400,
    )


def _notices_page(request: Request, letters: list, errors: dict, values: dict, status: str) -> Response:
    return render(
        request,
        "office/requests/notices.html",
        {
            "title": "待邮寄通知",
            "letters": letters,
            "errors": errors,
            "values": values,
            "status": status,
            "L": L,
            "today": county_today().isoformat(),
        },
        status_code=400 if errors else 200,
    )


@router.get("/office/requests/notices", summary="待邮寄的法定告知（登记人员、承办人、负责人、系统管理员）")
async def notices(request: Request, api: Api, s: OfficerSession, token: MailerToken, status: str = "to_post") -> Response:
    status = status if status in ("to_post", "sent") else "to_post"
    letters = await api.get_json("notify", "/post", params={"status": status}, token=token)
    return _notices_page(request, letters, {}, {}, status)


@router.post("/office/requests/notices/{notification_id}/posted", summary="登记已邮寄：邮件号和交寄日期（登记人员、承办人、负责人）")
async def mark_posted(
    request: Request, notification_id: str, api: Api, s: OfficerSession, token: MailerToken, form: CheckedForm
) -> Response:
    if not is_id(notification_id):
        raise PageError(404, "未找到", "没有找到这份通知。")
    number, posted_on = str(form.get("tracking_number") or "").strip(), str(form.get("posted_on") or "").strip()
    errors: dict[str, str] = {}
    key = f"n-{notification_id}"
    if not re.fullmatch(r"[A-Za-z0-9-]{5,40}", number):
        errors[f"{key}-tracking"] = "邮件号应为 5 至 40 位字母、数字或连字符"
    if not _DATE.match(posted_on):
        errors[f"{key}-posted"] = "交寄日期格式应为 年-月-日"
    if not errors:
        try:
            await api.post_json(
                "notify", f"/post/{notification_id}/posted", {"tracking_number": number, "posted_on": posted_on}, token=token
            )
        except ApiProblem as problem:
            errors = {f"{key}-tracking": problem.detail}
        else:
            s.set_flash(notice=f"已登记邮寄，邮件号 {number}。")
            return redirect("/office/requests/notices")
    letters = await api.get_json("notify", "/post", params={"status": "to_post"}, token=token)
    return _notices_page(request, letters, errors, {"id": notification_id, "tracking_number": number, "posted_on": posted_on}, "to_post")
