"""The steps after drafting, one page each that says what the step will do before it is taken: submitting for
保密审查, approving (publication) or returning with reasons, proposing and reviewing a revision, 失效/废止, 撤回.

A step is offered, and accepted here, only when the document page would offer it to this officer
(documents.actions_for); catalog decides and its Chinese refusal is shown on the step's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, CheckedForm, redirect, render
from services.web.office.deps import OfficerSession, problem_errors
from services.web.office.documents import ReaderToken, allows, choices, load, split_keywords
from services.web.session import Session

router = APIRouter()


@dataclass(frozen=True)
class Step:
    api: str  # catalog's step path
    heading: str
    explain: str
    button: str
    note: str | None = None  # the note field's label; None: no note
    note_required: bool = False
    confirm: str | None = None  # a checkbox the officer must tick
    done: str = ""


STEPS = {
    "submit": Step(
        "submit",
        "提交保密审查",
        "提交后草稿不能再修改，由本机关的审查人或负责人进行保密审查；起草人和提交人不能审查自己的信息。"
        "审查通过即在公开网站发布，退回的可修改后重新提交。",
        "确认提交保密审查",
        done="已提交保密审查。",
    ),
    "approve": Step(
        "approve",
        "保密审查通过并发布",
        "请确认信息不涉及国家秘密、商业秘密、个人隐私等不应公开的内容。确认后信息立即在公开网站发布，发布日期为今天。",
        "审查通过，立即发布",
        note="审查意见",
        done="审查通过，信息已发布。",
    ),
    "return": Step(
        "return",
        "退回修改",
        "信息将退回为草稿，起草人在信息页看到退回理由，修改后可重新提交。",
        "退回起草人修改",
        note="退回理由",
        note_required=True,
        done="已退回起草人修改。",
    ),
    "revision/approve": Step(
        "revisions/approve",
        "修订审查通过",
        "确认后，公开网站显示修订后的内容，修订前的内容保留在修订历史中。",
        "修订审查通过，发布修订",
        note="审查意见",
        done="修订审查通过，修订后的内容已发布。",
    ),
    "revision/return": Step(
        "revisions/return",
        "退回修订",
        "修订将被退回，公开网站继续显示原内容。",
        "退回修订",
        note="退回理由",
        note_required=True,
        done="修订已退回。",
    ),
    "withdraw": Step(
        "withdraw",
        "撤回信息",
        "撤回后信息不再在公开网站显示，也不能恢复；信息的索引号不再使用。如只是内容有误，请改用修订；如已失效或废止，请改用宣布失效或废止。",
        "确认撤回",
        note="撤回理由",
        note_required=True,
        confirm="我确认撤回这条已发布的信息",
        done="信息已撤回，公开网站不再显示。",
    ),
}


async def _post(api: Backends, token: str, doc: dict[str, Any], path: str, body: dict[str, Any]) -> None:
    await api.call(
        "catalog", "POST", f"/documents/{doc['id']}/{path}", json=body, token=token, headers={"If-Match": f'"{doc["id"]}.{doc["version"]}"'}
    )


async def _doc(api: Backends, token: str, s: Session, document_id: str, action: str, form: FormData | None = None) -> dict[str, Any]:
    doc = await load(api, token, document_id)
    if form is not None and str(form.get("version") or "").isdigit():
        doc["version"] = int(str(form.get("version")))  # the version the officer saw: a change since then is refused (412)
    allows(s, doc, action)
    return doc


def _step_page(request: Request, doc: dict[str, Any], action: str, values: dict[str, str], errors: dict[str, str]) -> Response:
    step = STEPS[action]
    context = {"title": step.heading, "doc": doc, "step": step, "action": action, "values": values, "errors": errors}
    return render(request, "office/documents/step.html", context, status_code=400 if errors else 200)


async def _show_step(request: Request, api: Api, s: Session, token: str, document_id: str, action: str) -> Response:
    doc = await _doc(api, token, s, document_id, action)
    return _step_page(request, doc, action, {"version": str(doc["version"])}, {})


async def _take_step(request: Request, api: Api, s: Session, token: str, document_id: str, action: str, form: FormData) -> Response:
    doc = await _doc(api, token, s, document_id, action, form)
    step = STEPS[action]
    values = {"note": str(form.get("note") or "").strip()[:2000], "confirm": str(form.get("confirm") or ""), "version": str(doc["version"])}
    errors: dict[str, str] = {}
    if step.note_required and not values["note"]:
        errors["note"] = f"请填写{step.note}"
    if step.confirm and not values["confirm"]:
        errors["confirm"] = "请勾选确认"
    if not errors:
        body = {"note": values["note"]} if step.note and values["note"] else {}
        try:
            await _post(api, token, doc, step.api, body)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("note",))
    if errors:
        return _step_page(request, doc, action, values, errors)
    s.set_flash(notice=step.done)
    return redirect(f"/office/documents/{doc['id']}")


# One explicit route pair per step (as in the requests API, issue #19): the step's confirm page and the step.


@router.get("/office/documents/{document_id}/submit", summary="提交保密审查：确认页（承办人等）")
async def submit_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    return await _show_step(request, api, s, token, document_id, "submit")


@router.post("/office/documents/{document_id}/submit", summary="提交保密审查（承办人等）")
async def submit(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm) -> Response:
    return await _take_step(request, api, s, token, document_id, "submit", form)


@router.get("/office/documents/{document_id}/approve", summary="保密审查通过并发布：确认页（审查人、负责人；不得为起草人）")
async def approve_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    return await _show_step(request, api, s, token, document_id, "approve")


@router.post("/office/documents/{document_id}/approve", summary="保密审查通过并发布（审查人、负责人；不得为起草人）")
async def approve(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm) -> Response:
    return await _take_step(request, api, s, token, document_id, "approve", form)


@router.get("/office/documents/{document_id}/return", summary="退回修改：填写理由（审查人、负责人）")
async def return_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    return await _show_step(request, api, s, token, document_id, "return")


@router.post("/office/documents/{document_id}/return", summary="退回修改（审查人、负责人）")
async def return_to_author(
    request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm
) -> Response:
    return await _take_step(request, api, s, token, document_id, "return", form)


@router.get("/office/documents/{document_id}/revision/approve", summary="修订审查通过：确认页（审查人、负责人；不得为修订人）")
async def approve_revision_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    return await _show_step(request, api, s, token, document_id, "revision/approve")


@router.post("/office/documents/{document_id}/revision/approve", summary="修订审查通过（审查人、负责人；不得为修订人）")
async def approve_revision(
    request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm
) -> Response:
    return await _take_step(request, api, s, token, document_id, "revision/approve", form)


@router.get("/office/documents/{document_id}/revision/return", summary="退回修订：填写理由（审查人、负责人）")
async def return_revision_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    return await _show_step(request, api, s, token, document_id, "revision/return")


@router.post("/office/documents/{document_id}/revision/return", summary="退回修订（审查人、负责人）")
async def return_revision(
    request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm
) -> Response:
    return await _take_step(request, api, s, token, document_id, "revision/return", form)


@router.get("/office/documents/{document_id}/withdraw", summary="撤回已发布的信息：确认页（负责人、管理员）")
async def withdraw_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    return await _show_step(request, api, s, token, document_id, "withdraw")


@router.post("/office/documents/{document_id}/withdraw", summary="撤回已发布的信息（负责人、管理员）")
async def withdraw(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm) -> Response:
    return await _take_step(request, api, s, token, document_id, "withdraw", form)


# -- a revision of a published document -----------------------------------------------------------------------

REVISABLE = ("title", "doc_number", "topic_code", "keywords", "summary", "body")


def _revision_values(doc: dict[str, Any]) -> dict[str, str]:
    return {
        "title": doc["title"],
        "doc_number": doc.get("doc_number") or "",
        "topic_code": (doc.get("topic") or {}).get("code") or "",
        "keywords": "、".join(doc.get("keywords") or []),
        "summary": doc.get("summary") or "",
        "body": doc.get("body") or "",
        "reason": "",
        "version": str(doc["version"]),
    }


async def _revise_page(
    request: Request, api: Backends, s: Session, doc: dict[str, Any], values: dict[str, str], errors: dict[str, str]
) -> Response:
    context = {"title": "修订已发布的信息", "doc": doc, "values": values, "errors": errors, **await choices(api, s)}
    return render(request, "office/documents/revise.html", context, status_code=400 if errors else 200)


@router.get("/office/documents/{document_id}/revise", summary="修订已发布的信息（承办人等；须再经保密审查）")
async def revise_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    doc = await _doc(api, token, s, document_id, "revise")
    return await _revise_page(request, api, s, doc, _revision_values(doc), {})


@router.post("/office/documents/{document_id}/revise", summary="修订已发布的信息（承办人等；须再经保密审查）")
async def revise(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm) -> Response:
    doc = await _doc(api, token, s, document_id, "revise", form)
    before = _revision_values(doc)
    values = {name: str(form.get(name) or "").strip() for name in (*REVISABLE, "reason")} | {"version": str(doc["version"])}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    for name in REVISABLE:
        if name == "keywords":
            if split_keywords(values[name]) != split_keywords(before[name]):
                body[name] = split_keywords(values[name])
        elif values[name] != before[name]:
            body[name] = values[name] or None
    if "title" in body and not body["title"]:
        errors["title"] = "信息名称不能为空"
    if not body:
        errors["title"] = "修订须至少修改一项内容"
    if not values["reason"]:
        errors["reason"] = "请填写修订原因"
    if not errors:
        try:
            await _post(api, token, doc, "revisions", body | {"reason": values["reason"]})
        except ApiProblem as problem:
            errors = problem_errors(problem, (*REVISABLE, "reason"))
    if errors:
        return await _revise_page(request, api, s, doc, values, errors)
    s.set_flash(notice="修订已提交保密审查；审查通过前，公开网站继续显示原内容。")
    return redirect(f"/office/documents/{doc['id']}")


# -- validity: 失效 or 废止 ---------------------------------------------------------------------------------------

VALIDITY_CHOICES = [("expired", "失效（有效期届满或情况变化而自然失效）"), ("repealed", "废止（由制定机关明令废止）")]


def _validity_page(request: Request, doc: dict[str, Any], values: dict[str, str], errors: dict[str, str]) -> Response:
    context = {"title": "宣布失效或废止", "doc": doc, "values": values, "errors": errors, "choices": VALIDITY_CHOICES}
    return render(request, "office/documents/validity.html", context, status_code=400 if errors else 200)


@router.get("/office/documents/{document_id}/validity", summary="宣布失效或废止（负责人、管理员）")
async def validity_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    doc = await _doc(api, token, s, document_id, "validity")
    return _validity_page(request, doc, {"effective_on": date.today().isoformat(), "version": str(doc["version"])}, {})


@router.post("/office/documents/{document_id}/validity", summary="宣布失效或废止（负责人、管理员）")
async def change_validity(
    request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken, form: CheckedForm
) -> Response:
    doc = await _doc(api, token, s, document_id, "validity", form)
    values = {name: str(form.get(name) or "").strip() for name in ("validity", "effective_on", "note")} | {"version": str(doc["version"])}
    errors: dict[str, str] = {}
    if values["validity"] not in dict(VALIDITY_CHOICES):
        errors["validity"] = "请选择失效或废止"
    try:
        date.fromisoformat(values["effective_on"])
    except ValueError:
        errors["effective_on"] = "请填写失效或废止的日期，格式如 2026-11-02"
    if not errors:
        body = {"validity": values["validity"], "effective_on": values["effective_on"], "note": values["note"][:2000] or None}
        try:
            await _post(api, token, doc, "validity", body)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("validity", "effective_on", "note"))
    if errors:
        return _validity_page(request, doc, values, errors)
    s.set_flash(notice="有效性已变更，公开网站上的信息显示为" + ("失效。" if values["validity"] == "expired" else "废止。"))
    return redirect(f"/office/documents/{doc['id']}")
