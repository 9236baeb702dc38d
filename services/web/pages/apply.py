"""依申请公开: the online 申请表 (公民, or 法人或其他组织), its ID-proof upload, and the receipt.

The applicant type is chosen first by a plain link (no script needed), so the form holds only the
fields that apply. A form with mistakes is shown again with every typed value and a Chinese message
by each field and in the summary; nothing is uploaded or stored until the site's own checks pass.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web import applyform, labels
from services.web.applyform import FILE_FIELD, GENERAL, PERSON
from services.web.backends import ApiProblem, Backends
from services.web.deps import AccessToken, Api, CheckedForm, CurrentSession, PageError, Settings, redirect, render

router = APIRouter()
IN_FLIGHT_TRIES = 10


async def agencies(api: Backends) -> list[dict[str, Any]]:
    return await api.get_json("requests", "/agencies")


def _form_page(
    request: Request,
    kind: str,
    values: dict[str, str],
    errors: dict[str, str],
    agency_list: list,
    max_bytes: int,
    *,
    file_given: bool = False,
) -> Response:
    return render(
        request,
        "apply_form.html",
        {
            "title": "政府信息公开申请表",
            "kind": kind,
            "values": values,
            "errors": errors,
            "labels": labels,
            "agencies": [(a["id"], a["name"]) for a in agency_list],
            "file_accept": applyform.FILE_ACCEPT,
            "file_kinds": applyform.FILE_KINDS,
            "max_mb": max(1, max_bytes // (1024 * 1024)),
            "choose_again": bool(errors) and file_given,
        },
        status_code=400 if errors else 200,
    )


@router.get("/apply", summary="政府信息公开申请表（已登录的申请人）")
async def apply_page(
    request: Request, api: Api, token: AccessToken, settings: Settings, type: str | None = None, agency: str | None = None
) -> Response:
    kind = applyform.kind_of(type)
    if kind is None:
        return render(request, "apply_choose.html", {"title": "选择申请人类型", "agency": agency or ""})
    values = {"preferred_form": "electronic", "submission_key": secrets.token_urlsafe(18), "agency_id": agency or ""}
    if kind == PERSON:
        values["applicant.id_type"] = "resident_id"
    return _form_page(request, kind, values, {}, await agencies(api), settings.max_upload_bytes)


@router.post("/apply", summary="提交政府信息公开申请（已登录的申请人）")
async def submit(request: Request, api: Api, token: AccessToken, settings: Settings, s: CurrentSession, form: CheckedForm) -> Response:
    kind = applyform.kind_of(str(form.get("applicant.type") or ""))
    if kind is None:
        raise PageError(400, "请求有误", "请先选择申请人类型（公民，或法人或其他组织）。")
    values, agency_list = applyform.text_values(form, kind), await agencies(api)
    errors = applyform.validate(values, kind, {a["id"] for a in agency_list})
    upload, file_error = await applyform.read_upload(form.get(FILE_FIELD), settings.max_upload_bytes)
    if file_error:
        errors = applyform.in_order({**errors, FILE_FIELD: file_error}, kind)
    if not errors:
        assert upload is not None
        errors, created = await _send(api, token, kind, values, upload)
        if created:
            s.set_flash(receipt={"id": created["id"], "tracking_number": created["tracking_number"], "query_code": created["query_code"]})
            return redirect("/apply/done")
    return _form_page(
        request, kind, values, errors, agency_list, settings.max_upload_bytes, file_given=upload is not None or bool(file_error)
    )


async def _send(api: Backends, token: str, kind: str, values: dict[str, str], upload: applyform.Upload) -> tuple[dict, dict | None]:
    """Upload the ID proof, then submit the request naming it; (errors by field, the created request)."""
    try:
        attachment = (
            await api.call(
                "requests",
                "POST",
                "/attachments",
                token=token,
                data={"purpose": "identity_proof"},
                files={"file": (upload.filename, upload.data, upload.content_type)},
            )
        ).json()
    except ApiProblem as problem:  # 413 too large, 415 not what it claims: the API's Chinese words, by the file
        return {FILE_FIELD: problem.detail}, None
    body = applyform.request_body(values, kind, [attachment["id"]])
    # The form's own key: a double click posts it twice, and the API answers the second with the first's receipt.
    key = values.get("submission_key") or secrets.token_urlsafe(18)
    for _ in range(IN_FLIGHT_TRIES):
        try:
            return {}, await api.post_json("requests", "/requests", body, token=token, headers={"Idempotency-Key": key})
        except ApiProblem as problem:
            if problem.code == "idempotency_key_reused":  # this form was sent before, with other content
                return {GENERAL: "这份申请表已经提交过。如需提交新的申请，请重新打开申请表填写。"}, None
            if problem.code != "idempotent_request_in_flight":
                return applyform.api_errors(problem.errors, problem.detail, kind), None
        await asyncio.sleep(0.3)  # the first post is still being stored: its receipt is moments away
    return {GENERAL: "您的申请正在提交，请稍后到“我的申请”中查看，请勿重复提交。"}, None


@router.get("/apply/done", summary="申请已提交：受理编号和查询码（已登录的申请人，仅提交后显示一次）")
async def receipt(request: Request, api: Api, token: AccessToken, s: CurrentSession) -> Response:
    flash = s.pop_flash()
    shown = flash.get("receipt")
    if not shown:
        return redirect("/my")
    detail = await api.get_json("requests", f"/requests/{shown['id']}", token=token)
    names = {a["id"]: a["name"] for a in await agencies(api)}
    return render(
        request,
        "apply_done.html",
        {
            "title": "申请已提交",
            "receipt": shown,
            "request": detail,
            "agency_name": names.get(detail["agency_id"], ""),
            "due_lines": labels.due_in_words(detail.get("due"), detail.get("days_remaining"), detail.get("overdue", False)),
        },
    )
