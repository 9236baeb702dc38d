"""主动公开 on the workbench: the documents of the officer's agency subtree, drafting and editing with the
metadata and attachments, and each document's page with its state, history and the actions open to this officer now.

The steps after drafting (submit, review, revise, validity, withdrawal) are in documents_actions; the review
queue, the Art. 26 list and the Art. 44 suggestions in documents_lists. Catalog decides every step; the
screens only leave out what it would refuse (roles, and the separation of drafter and reviewer).
"""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, CheckedForm, PageError, Settings, redirect, render
from services.web.office.deps import ROLE_LABELS, OfficerSession, officer_with, problem_errors
from services.web.session import Session
from shared.errors import Problem
from shared.filetypes import check_content

router = APIRouter()

# catalog.service.access, for the screens: who may do what (the API checks again).
EDITORS = ("registrar", "handler", "head", "admin")
REVIEWERS = ("reviewer", "head")
MANAGERS = ("head", "admin")
READERS = (*EDITORS, "reviewer", "supervisor")

STATUS_LABELS = {"draft": "草稿", "in_review": "保密审查中", "published": "已发布", "withdrawn": "已撤回"}
VALIDITY_LABELS = {"valid": "有效", "expired": "失效", "repealed": "废止"}
PAGE_SIZE = 20

# The attachment kinds catalog accepts (its attachment_types), by the file's extension: the type sent is
# decided here from the name and checked against the bytes, not taken from the browser.
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".ofd": "application/ofd",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
    ".zip": "application/zip",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ATTACHMENT_ACCEPT = ",".join(ATTACHMENT_TYPES)
ATTACHMENT_KINDS = "PDF、OFD、JPG、PNG、TXT、ZIP、DOC、DOCX、XLS 或 XLSX"

# Audit event types of a document, in words for its history.
EVENT_LABELS = {
    "DocumentDrafted": "起草",
    "DocumentSubmitted": "提交保密审查",
    "DocumentReturned": "退回修改",
    "DocumentPublished": "审查通过并发布",
    "DocumentRevisionProposed": "提出修订",
    "DocumentRevised": "修订审查通过",
    "DocumentRevisionReturned": "退回修订",
    "DocumentRepealed": "变更有效性",
    "DocumentWithdrawn": "撤回",
    "DocumentPublicationDue": "发布期限提醒",
}

ReaderToken = Annotated[str, Depends(officer_with(*READERS))]
EditorToken = Annotated[str, Depends(officer_with(*EDITORS))]

DOCUMENT_FIELDS = (
    "agency_id",
    "title",
    "doc_number",
    "category_code",
    "topic_code",
    "keywords",
    "made_on",
    "publisher",
    "summary",
    "body",
    "interprets",
    "decision_count",
    "fee_amount_yuan",
)


def is_id(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9A-Za-z-]{1,64}", value))


def if_match(doc: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{doc["id"]}.{doc["version"]}"'}


async def load(api: Backends, token: str, document_id: str) -> dict[str, Any]:
    """The document as the officer may see it; another agency's answers exactly like a missing one (Chinese 404 page)."""
    if not is_id(document_id):
        raise PageError(404, "未找到", "信息不存在或不在您的管辖范围内。")
    try:
        return await api.get_json("catalog", f"/documents/{document_id}", token=token)
    except ApiProblem as problem:
        if problem.status in (404, 422):
            raise PageError(404, "未找到", "信息不存在或不在您的管辖范围内。") from None
        raise


def actions_for(s: Session, doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(path suffix, label) of each step this officer may take on `doc` now: the step must be open in the document's
    state, the officer must hold a role for it, and nobody reviews what they drafted, submitted or proposed."""
    steps = set(doc.get("allowed_steps") or [])
    me = s.sub
    pending_by = (doc.get("pending_revision") or {}).get("by")
    found: list[tuple[str, str]] = []
    if s.has_any(*EDITORS):
        if "edit" in steps:
            found += [("edit", "修改草稿"), ("attachments", "上传附件")]
        if "submit" in steps:
            found.append(("submit", "提交保密审查"))
    if s.has_any(*REVIEWERS):
        if "approve" in steps and me not in (doc.get("author_sub"), doc.get("submitted_by")):
            found.append(("approve", "审查通过并发布"))
        if "return" in steps and me != doc.get("author_sub"):
            found.append(("return", "退回修改"))
        if "approve_revision" in steps and me != pending_by:
            found.append(("revision/approve", "修订审查通过"))
        if "return_revision" in steps and me != pending_by:
            found.append(("revision/return", "退回修订"))
    if s.has_any(*EDITORS) and "revise" in steps:
        found.append(("revise", "修订"))
    if s.has_any(*MANAGERS):
        if "change_validity" in steps:
            found.append(("validity", "宣布失效或废止"))
        if "withdraw" in steps:
            found.append(("withdraw", "撤回"))
    return found


def allows(s: Session, doc: dict[str, Any], action: str) -> None:
    """Refuse (Chinese 403 page) a step the document page would not offer this officer."""
    if action not in {path for path, _ in actions_for(s, doc)}:
        raise PageError(
            403,
            "不能执行此操作",
            f"信息当前状态为“{doc['status']['name']}”，您不能执行此操作（须具有相应角色；起草、提交或修订人不能审查自己的信息）。",
        )


async def choices(api: Backends, s: Session) -> dict[str, Any]:
    """The form's choices: agencies of the officer's subtree, 信息类别 and 主题分类."""
    params = {"under": s.agency_id} if s.agency_id else {}
    agencies, categories, topics = await asyncio.gather(
        api.get_json("catalog", "/agencies", params=params),
        api.get_json("catalog", "/categories", params={"kind": "category"}),
        api.get_json("catalog", "/categories", params={"kind": "topic"}),
    )
    return {
        "agencies": [(a["id"], a["name"]) for a in agencies],
        "categories": [(c["code"], c["name"]) for c in categories],
        "topics": [(c["code"], c["name"]) for c in topics],
    }


def split_keywords(text: str) -> list[str]:
    return [k for k in re.split(r"[\s,，、;；]+", text) if k][:20]


def form_values(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in DOCUMENT_FIELDS}


def doc_values(doc: dict[str, Any], interprets: str = "") -> dict[str, str]:
    return {
        "agency_id": doc["agency_id"],
        "title": doc["title"],
        "doc_number": doc.get("doc_number") or "",
        "category_code": doc["category"]["code"],
        "topic_code": (doc.get("topic") or {}).get("code") or "",
        "keywords": "、".join(doc.get("keywords") or []),
        "made_on": str(doc.get("made_on") or ""),
        "publisher": doc.get("publisher") or "",
        "summary": doc.get("summary") or "",
        "body": doc.get("body") or "",
        "interprets": interprets,
        "decision_count": str(doc.get("decision_count") or 1),
        "fee_amount_yuan": doc.get("fee_amount_yuan") or "",
    }


def check_fields(values: dict[str, str], *, creating: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body from the form, and what the page itself can tell is wrong (by field, in page order)."""
    errors: dict[str, str] = {}
    if creating and not values["agency_id"]:
        errors["agency_id"] = "请选择发布机关"
    if not values["title"]:
        errors["title"] = "请填写信息名称"
    if not values["category_code"]:
        errors["category_code"] = "请选择信息类别"
    made_on: str | None = None
    try:
        made_on = date.fromisoformat(values["made_on"]).isoformat()
    except ValueError:
        errors["made_on"] = "请填写生成日期，格式如 2026-11-02"
    count = 1
    if values["decision_count"]:
        if values["decision_count"].isdigit() and 1 <= int(values["decision_count"]) <= 1_000_000:
            count = int(values["decision_count"])
        else:
            errors["decision_count"] = "决定数为 1 至 1000000 的整数"
    if values["fee_amount_yuan"] and not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", values["fee_amount_yuan"]):
        errors["fee_amount_yuan"] = "收费金额以元为单位，最多两位小数，如 120.50"
    body: dict[str, Any] = {
        "title": values["title"],
        "doc_number": values["doc_number"] or None,
        "category_code": values["category_code"],
        "topic_code": values["topic_code"] or None,
        "keywords": split_keywords(values["keywords"]),
        "made_on": made_on,
        "publisher": values["publisher"] or None,
        "summary": values["summary"] or None,
        "body": values["body"],
        "decision_count": count,
        "fee_amount_yuan": values["fee_amount_yuan"] or None,
    }
    if creating:
        body["agency_id"] = values["agency_id"]
    return body, errors


async def find_published(api: Backends, token: str, index_number: str) -> str | None:
    """The published document with this 索引号 (the policy a 政策解读 interprets), or None."""
    found = await api.get_json("catalog", "/documents", token=token, params={"q": index_number, "status": "published", "size": 100})
    return next((d["id"] for d in found["items"] if d["index_number"] == index_number), None)


async def read_attachment(value: Any, max_bytes: int) -> tuple[tuple[str, bytes, str] | None, str | None]:
    """(name, bytes, type) of the chosen attachment, or why it cannot be sent; (None, None) when none was chosen."""
    filename = getattr(value, "filename", None)
    if not filename:
        return None, None
    data = await value.read(max_bytes + 1)
    if len(data) > max_bytes:
        return None, f"附件超过 {max_bytes // (1024 * 1024) or 1} MB 的大小上限"
    if not data:
        return None, "所选文件是空的，请重新选择"
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = ATTACHMENT_TYPES.get(extension)
    if content_type is None:
        return None, f"只能上传 {ATTACHMENT_KINDS} 格式的附件"
    try:
        check_content(content_type, data)
    except Problem:
        return None, f"文件内容不是有效的 {extension[1:].upper()} 文件"
    return (filename, data, content_type), None


async def upload(api: Backends, token: str, document_id: str, file: tuple[str, bytes, str]) -> None:
    await api.call("catalog", "POST", f"/documents/{document_id}/attachments", token=token, files={"file": file})


def _form_page(request: Request, template: str, context: dict[str, Any], errors: dict[str, str]) -> Response:
    return render(
        request,
        template,
        {**context, "errors": errors, "accept": ATTACHMENT_ACCEPT, "kinds": ATTACHMENT_KINDS},
        status_code=400 if errors else 200,
    )


# -- the list -------------------------------------------------------------------------------------------------


@router.get("/office/documents", summary="主动公开：本机关及下级机关的信息，本人的草稿在前（工作人员）")
async def documents(
    request: Request,
    api: Api,
    s: OfficerSession,
    token: ReaderToken,
    status: str = Query("", max_length=20),
    category: str = Query("", max_length=40),
    q: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=1000),
) -> Response:
    status = status if status in STATUS_LABELS else ""
    category = category if re.fullmatch(r"[a-z][a-z0-9_]{1,39}", category) else ""
    params: dict[str, Any] = {"page": page, "size": PAGE_SIZE}
    if status:
        params["status"] = status
    if category:
        params["category_code"] = category
    if q.strip():
        params["q"] = q.strip()
    mine_params = {"mine": "true", "status": "draft", "size": 100}
    listing, mine, categories = await asyncio.gather(
        api.get_json("catalog", "/documents", token=token, params=params),
        api.get_json("catalog", "/documents", token=token, params=mine_params) if s.has_any(*EDITORS) else _nothing(),
        api.get_json("catalog", "/categories", params={"kind": "category"}),
    )
    query = {k: v for k, v in (("status", status), ("category", category), ("q", q.strip())) if v}
    pages = max(1, -(-int(listing["total"]) // PAGE_SIZE))
    return render(
        request,
        "office/documents/list.html",
        {
            "title": "主动公开",
            "items": listing["items"],
            "total": listing["total"],
            "mine": mine["items"],
            "page": page,
            "pages": pages,
            "values": {"status": status, "category": category, "q": q.strip()},
            "statuses": list(STATUS_LABELS.items()),
            "categories": [(c["code"], c["name"]) for c in categories],
            "status_labels": STATUS_LABELS,
            "query": urlencode(query),
            "filtered": bool(query),
            "can_draft": s.has_any(*EDITORS),
            "can_review": s.has_any(*REVIEWERS),
        },
    )


async def _nothing() -> dict[str, Any]:
    return {"items": [], "total": 0}


# -- drafting -------------------------------------------------------------------------------------------------


@router.get("/office/documents/new", summary="起草信息（承办人、登记人员、负责人、管理员）")
async def new_page(request: Request, api: Api, s: OfficerSession, token: EditorToken) -> Response:
    values = {"agency_id": s.agency_id or "", "made_on": date.today().isoformat(), "decision_count": "1"}
    return _form_page(
        request, "office/documents/form.html", {"title": "起草信息", "values": values, "doc": None, **await choices(api, s)}, {}
    )


@router.post("/office/documents/new", summary="起草信息（承办人、登记人员、负责人、管理员）")
async def create(request: Request, api: Api, s: OfficerSession, token: EditorToken, settings: Settings, form: CheckedForm) -> Response:
    values = form_values(form)
    body, errors = check_fields(values, creating=True)
    file, file_error = await read_attachment(form.get("file"), settings.max_upload_bytes)
    if file_error:
        errors["file"] = file_error
    if values["interprets"] and not errors:
        body["interprets_id"] = await find_published(api, token, values["interprets"])
        if body["interprets_id"] is None:
            errors["interprets"] = "找不到该索引号的已发布政策文件（须在您的管辖范围内）"
    if not errors:
        try:
            doc = await api.post_json("catalog", "/documents", body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, (*DOCUMENT_FIELDS, "interprets_id"))
            if "interprets_id" in errors:
                errors["interprets"] = errors.pop("interprets_id")
    if errors:
        context = {"title": "起草信息", "values": values, "doc": None, "file_given": file is not None, **await choices(api, s)}
        return _form_page(request, "office/documents/form.html", context, errors)
    notice = f"草稿已保存，索引号 {doc['index_number']}。"
    if file is not None:
        try:
            await upload(api, token, doc["id"], file)
            notice += f"附件“{file[0]}”已上传。"
        except ApiProblem as problem:
            notice += f"附件未能上传：{problem.detail}请在本页重新上传。"
    s.set_flash(notice=notice + "核对无误后请提交保密审查。")
    return redirect(f"/office/documents/{doc['id']}")


@router.get("/office/documents/{document_id}/edit", summary="修改草稿（承办人等）")
async def edit_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: EditorToken) -> Response:
    doc = await load(api, token, document_id)
    allows(s, doc, "edit")
    context = {"title": "修改草稿", "values": doc_values(doc, await _policy_index(api, token, doc)), "doc": doc, **await choices(api, s)}
    return _form_page(request, "office/documents/form.html", context, {})


async def _policy_index(api: Backends, token: str, doc: dict[str, Any]) -> str:
    if not doc.get("interprets_id"):
        return ""
    try:
        return (await api.get_json("catalog", f"/documents/{doc['interprets_id']}", token=token))["index_number"]
    except ApiProblem:
        return ""


@router.post("/office/documents/{document_id}/edit", summary="修改草稿（承办人等）")
async def edit(request: Request, document_id: str, api: Api, s: OfficerSession, token: EditorToken, form: CheckedForm) -> Response:
    doc = await load(api, token, document_id)
    allows(s, doc, "edit")
    values = form_values(form)
    values["agency_id"] = doc["agency_id"]
    body, errors = check_fields(values, creating=False)
    if not errors:
        try:
            headers = {"If-Match": f'"{doc["id"]}.{form.get("version") or doc["version"]}"'}
            await api.call("catalog", "PATCH", f"/documents/{doc['id']}", json=body, token=token, headers=headers)
        except ApiProblem as problem:
            errors = problem_errors(problem, DOCUMENT_FIELDS)
    if errors:
        values["interprets"] = await _policy_index(api, token, doc)
        context = {"title": "修改草稿", "values": values, "doc": doc, **await choices(api, s)}
        return _form_page(request, "office/documents/form.html", context, errors)
    s.set_flash(notice="草稿已修改。")
    return redirect(f"/office/documents/{doc['id']}")


@router.get("/office/documents/{document_id}/attachments", summary="上传附件（草稿阶段）")
async def attachments_page(request: Request, document_id: str, api: Api, s: OfficerSession, token: EditorToken) -> Response:
    doc = await load(api, token, document_id)
    allows(s, doc, "attachments")
    return _form_page(request, "office/documents/attachments.html", {"title": "上传附件", "doc": doc}, {})


@router.post("/office/documents/{document_id}/attachments", summary="上传附件（草稿阶段）")
async def add_attachment(
    request: Request, document_id: str, api: Api, s: OfficerSession, token: EditorToken, settings: Settings, form: CheckedForm
) -> Response:
    doc = await load(api, token, document_id)
    allows(s, doc, "attachments")
    file, error = await read_attachment(form.get("file"), settings.max_upload_bytes)
    if file is None and error is None:
        error = "请选择要上传的附件"
    if file is not None:
        try:
            await upload(api, token, doc["id"], file)
        except ApiProblem as problem:
            error = problem.detail
    if error:
        return _form_page(request, "office/documents/attachments.html", {"title": "上传附件", "doc": doc}, {"file": error})
    s.set_flash(notice=f"附件“{file[0]}”已上传。")  # type: ignore[index]
    return redirect(f"/office/documents/{doc['id']}")


# -- the document page ----------------------------------------------------------------------------------------


async def history(api: Backends, token: str, doc: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The document's steps from the audit log (None when the log is not open to this officer: another agency's)."""
    try:
        entries = await api.get_json(
            "audit", "/entries", token=token, params={"aggregate_id": doc["id"], "agency_id": doc["agency_id"], "limit": 200}
        )
    except ApiProblem:
        return None
    return [
        {
            "at": e["occurred_at"],
            "what": EVENT_LABELS.get(e["event_type"], e["event_type"]),
            "role": ROLE_LABELS.get(e.get("actor_role") or "", ""),
            "note": (e.get("payload") or {}).get("note"),
        }
        for e in entries
        if e["event_type"] in EVENT_LABELS
    ]


@router.get("/office/documents/{document_id}", summary="信息详情：状态、经过和可执行的操作（工作人员）")
async def document(request: Request, document_id: str, api: Api, s: OfficerSession, token: ReaderToken) -> Response:
    doc = await load(api, token, document_id)
    steps, revisions, policy = await asyncio.gather(
        history(api, token, doc), api.get_json("catalog", f"/documents/{doc['id']}/revisions", token=token), _policy_index(api, token, doc)
    )
    return render(
        request,
        "office/documents/detail.html",
        {
            "title": doc["title"],
            "doc": doc,
            "history": steps,
            "revisions": revisions,
            "policy_index": policy,
            "actions": actions_for(s, doc),
            "mine": s.sub == doc.get("author_sub"),
            "validity_labels": VALIDITY_LABELS,
        },
    )
