"""我的申请: the applicant's requests, each with its due date and how it was computed; the timeline, the
answer and its files, the formal notices (通知书) as PDFs; and the applicant's own actions, 补正 and 撤回, each
confirmed on its page (no pop-ups)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from services.web import labels
from services.web import myrequests as my
from services.web.backends import ApiProblem, Backends
from services.web.deps import AccessToken, Api, CheckedForm, CurrentSession, PageError, redirect, render
from services.web.downloads import private_download
from services.web.pages.apply import agencies

router = APIRouter()
PAGE_SIZE = 10


async def _detail(api: Backends, token: str, request_id: str) -> dict[str, Any]:
    if not my.is_id(request_id):
        raise PageError(404, "未找到", "没有找到这份申请。")
    return await api.get_json("requests", f"/requests/{request_id}", token=token)


def _due(detail: dict[str, Any]) -> list[str]:
    return labels.due_in_words(detail.get("due"), detail.get("days_remaining"), detail.get("overdue", False))


@router.get("/my", summary="我的申请（已登录的申请人，仅本人）")
async def my_requests(request: Request, api: Api, token: AccessToken, page: int = Query(1, ge=1, le=1000)) -> Response:
    listing = await api.get_json("requests", "/requests/mine", token=token, params={"page": page, "page_size": PAGE_SIZE})
    # The listing has no due-date computation; each request's detail has it (at most PAGE_SIZE calls, together).
    details = await asyncio.gather(*[api.get_json("requests", f"/requests/{r['id']}", token=token) for r in listing["items"]])
    names = {a["id"]: a["name"] for a in await agencies(api)}
    items = [{**d, "agency_name": names.get(d["agency_id"], ""), "due_lines": _due(d)} for d in details]
    pages = max(1, -(-int(listing["total"]) // PAGE_SIZE))
    return render(request, "my_list.html", {"title": "我的申请", "items": items, "total": listing["total"], "page": page, "pages": pages})


@router.get("/my/{request_id}", summary="申请详情：时间线、答复和文件、通知书（已登录的申请人，仅本人）")
async def my_request(request: Request, request_id: str, api: Api, token: AccessToken, s: CurrentSession) -> Response:
    detail = await _detail(api, token, request_id)
    known, notices = await asyncio.gather(agencies(api), my.notices_of(api, token, detail["id"]))
    names = {a["id"]: a["name"] for a in known}
    return render(
        request,
        "my_detail.html",
        {
            "title": f"申请 {detail['tracking_number']}",
            "r": detail,
            "agency_name": names.get(detail["agency_id"], ""),
            "due_lines": _due(detail),
            "labels": labels,
            "notices": notices,
            "notice": s.pop_flash().get("notice"),
            "may_correct": my.may(detail, "submit_correction"),
            "may_withdraw": my.may(detail, "withdraw"),
        },
    )


@router.get("/my/{request_id}/files/{attachment_id}", summary="下载答复文件（已登录的申请人，仅本人已送达的答复）")
async def download(request_id: str, attachment_id: str, api: Api, token: AccessToken) -> Response:
    detail = await _detail(api, token, request_id)
    if attachment_id not in my.answer_document_ids(detail):
        raise PageError(404, "未找到", "没有找到这个文件。")
    return await private_download(api, "requests", f"/attachments/{attachment_id}", token, "答复文件")


@router.get("/my/{request_id}/notices/{notice_id}/pdf", summary="下载通知书 PDF（已登录的申请人，仅本人，发给本人的通知书）")
async def notice_pdf(request_id: str, notice_id: str, api: Api, token: AccessToken) -> Response:
    if not (my.is_id(request_id) and my.is_id(notice_id)):
        raise PageError(404, "未找到", "没有找到这份通知书。")
    # The API decides: only this applicant's own request, and not a letter to a third party (404 otherwise).
    return await private_download(api, "requests", f"/requests/{request_id}/notices/{notice_id}/pdf", token, "通知书.pdf")


def _action_page(request: Request, template: str, detail: dict, values: dict, errors: dict) -> Response:
    title = {"my_correction.html": "提交补正", "my_withdraw.html": "撤回申请"}[template]
    return render(request, template, {"title": title, "r": detail, "values": values, "errors": errors}, status_code=400 if errors else 200)


@router.get("/my/{request_id}/correction", summary="补正申请内容（已登录的申请人，仅本人，待补正时）")
async def correction_page(request: Request, request_id: str, api: Api, token: AccessToken) -> Response:
    detail = await _detail(api, token, request_id)
    if not my.may(detail, "submit_correction"):
        return redirect(f"/my/{detail['id']}")
    values = {
        "description": detail.get("description") or "",
        "document_title": detail.get("document_title") or "",
        "document_number": detail.get("document_number") or "",
        "version": str(detail.get("version", "")),
    }
    return _action_page(request, "my_correction.html", detail, values, {})


@router.post("/my/{request_id}/correction", summary="提交补正（已登录的申请人，仅本人）")
async def submit_correction(
    request: Request, request_id: str, api: Api, token: AccessToken, s: CurrentSession, form: CheckedForm
) -> Response:
    detail = await _detail(api, token, request_id)
    values = my.correction_values(form)
    errors = my.check_correction(values)
    if not errors:
        try:
            await api.post_json(
                "requests",
                f"/requests/{detail['id']}/correction",
                my.correction_body(values),
                token=token,
                headers=my.if_match(detail["id"], values["version"]),
            )
        except ApiProblem as problem:
            errors = my.refusal(problem.errors, problem.detail, {"description", "document_title", "document_number"})
    if errors:
        return _action_page(request, "my_correction.html", detail, values, errors)
    s.set_flash(notice="补正已提交，答复期限自机关收到补正之日起重新计算。")
    return redirect(f"/my/{detail['id']}")


@router.get("/my/{request_id}/withdraw", summary="撤回申请：确认页（已登录的申请人，仅本人）")
async def withdraw_page(request: Request, request_id: str, api: Api, token: AccessToken) -> Response:
    detail = await _detail(api, token, request_id)
    if not my.may(detail, "withdraw"):
        return redirect(f"/my/{detail['id']}")
    return _action_page(request, "my_withdraw.html", detail, {"version": str(detail.get("version", ""))}, {})


@router.post("/my/{request_id}/withdraw", summary="撤回申请（已登录的申请人，仅本人）")
async def withdraw(request: Request, request_id: str, api: Api, token: AccessToken, s: CurrentSession, form: CheckedForm) -> Response:
    detail = await _detail(api, token, request_id)
    values = my.withdraw_values(form)
    errors = my.check_withdraw(values)
    if not errors:
        try:
            await api.post_json(
                "requests",
                f"/requests/{detail['id']}/withdraw",
                {"reason": values["reason"] or None},
                token=token,
                headers=my.if_match(detail["id"], values["version"]),
            )
        except ApiProblem as problem:
            errors = my.refusal(problem.errors, problem.detail, {"reason"})
    if errors:
        return _action_page(request, "my_withdraw.html", detail, values, errors)
    s.set_flash(notice="申请已撤回，机关将不再办理。")
    return redirect(f"/my/{detail['id']}")
