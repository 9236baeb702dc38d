"""Officers' catalog work: draft, review, publish, revise, repeal, withdraw (scoped to their agency subtree)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select

from services.catalog.adapters.orm import Document, DocumentAttachment, DocumentRevision
from services.catalog.api.deps import agency_names, category_names, check_if_match, etag, today
from services.catalog.api.views import attachment_view, officer_view, public_view
from services.catalog.domain.documents import Status
from services.catalog.service import commands as c
from services.catalog.service import documents as docs
from services.catalog.service.access import EDITORS, MANAGERS, READERS, REVIEWERS, ensure_in_scope, scope_of, subtree
from services.catalog.service.watch import late_documents
from shared.auth import Principal, require
from shared.bounds import Page
from shared.db import new_id
from shared.errors import Problem
from shared.service import UoW
from shared.storage import content_key, read_upload, safe_filename
from shared.uow import UnitOfWork

router = APIRouter(prefix="/documents", tags=["信息发布（工作人员）"])

Editor = Annotated[Principal, Depends(require(*EDITORS))]
Reviewer = Annotated[Principal, Depends(require(*REVIEWERS))]
Manager = Annotated[Principal, Depends(require(*MANAGERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]


async def _visible(uow: UnitOfWork, principal: Principal, document_id: str) -> Document:
    d = await uow.session.get(Document, document_id)
    if d is None:
        raise Problem(404, "document_not_found", "信息不存在或不在您的管辖范围内")
    await ensure_in_scope(uow.session, principal, d.agency_id)
    return d


async def _view(uow: UnitOfWork, d: Document, response: Response | None = None) -> dict[str, Any]:
    attachments = list(
        (
            await uow.session.execute(
                select(DocumentAttachment).where(DocumentAttachment.document_id == d.id).order_by(DocumentAttachment.created_at)
            )
        ).scalars()
    )
    if response is not None:
        response.headers["ETag"] = etag(d)
    return officer_view(d, await category_names(uow.session), await agency_names(uow.session), attachments)


@router.post(
    "",
    status_code=201,
    summary="起草信息（承办人、登记人员、负责人、管理员）",
    description="生成索引号（统一社会信用代码/年份-流水号，永不重复使用），并按生成日期计算20个工作日发布期限（第二十六条）。",
)
async def create_document(body: c.DocumentIn, uow: UoW, request: Request, response: Response, principal: Editor) -> dict[str, Any]:
    d = await docs.create(uow, principal, body, request.app.state.calendar, today(request))
    response.headers["Location"] = str(request.url_for("get_document", document_id=d.id))
    return await _view(uow, d, response)


def _awaiting_revision_review() -> Any:
    """A revision proposed and not yet reviewed (a JSON column: "no revision" is SQL NULL or JSON null)."""
    return func.coalesce(cast(Document.pending_revision, String), "null") != "null"


def _like(words: str) -> str:
    return "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@router.get(
    "",
    summary="本机关及下级机关的信息（工作人员）",
    description="`q` 在信息名称、文号、索引号中查找；`mine=true` 只列本人起草的；`awaiting_review=true` 只列待保密审查的"
    "（审查中的，及有待审修订的已发布信息）。每项带起草人、提交人和修订人，供界面不向本人提供审查操作。",
)
async def list_documents(
    uow: UoW,
    principal: Reader,
    status: Annotated[Status | None, Query(description="按状态筛选")] = None,
    agency_id: Annotated[str | None, Query(max_length=36)] = None,
    category_code: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9_]{1,39}$", description="按信息类别筛选")] = None,
    q: Annotated[str | None, Query(max_length=100, description="信息名称、文号或索引号中的字词")] = None,
    mine: Annotated[bool, Query(description="只列本人起草的")] = False,
    awaiting_review: Annotated[bool, Query(description="只列待审查的（含待审修订）")] = False,
    page: Page = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    scope = await scope_of(uow.session, principal)
    where: list[ColumnElement[bool]] = []
    if scope is not None:
        where.append(Document.agency_id.in_(sorted(scope)))
    if agency_id:
        where.append(Document.agency_id == agency_id)
    if status:
        where.append(Document.status == status.value)
    if category_code:
        where.append(Document.category_code == category_code)
    words = "".join(ch for ch in q or "" if ch.isprintable()).strip()  # a NUL byte never reaches the database
    if words:
        pattern = _like(words)
        where.append(
            or_(
                Document.title.ilike(pattern, escape="\\"),
                Document.doc_number.ilike(pattern, escape="\\"),
                Document.index_number.ilike(pattern, escape="\\"),
            )
        )
    if mine:
        where.append(Document.author_sub == principal.sub)
    if awaiting_review:
        where.append(
            or_(Document.status == Status.in_review.value, and_(Document.status == Status.published.value, _awaiting_revision_review()))
        )
    total = (await uow.session.execute(select(func.count()).select_from(Document).where(*where))).scalar_one()
    rows = (
        await uow.session.execute(
            select(Document).where(*where).order_by(Document.updated_at.desc(), Document.id.desc()).offset((page - 1) * size).limit(size)
        )
    ).scalars()
    names, agencies = await category_names(uow.session), await agency_names(uow.session)
    items = [
        public_view(d, names, agencies)
        | {
            "status": d.status,
            "publish_due_on": d.publish_due_on,
            "published_on_time": d.published_on_time,
            "author_sub": d.author_sub,
            "submitted_by": d.submitted_by,
            "pending_revision_by": (d.pending_revision or {}).get("by"),
        }
        for d in rows
    ]
    return {"total": total, "page": page, "size": size, "items": items}


@router.get(
    "/overdue",
    summary="超过20个工作日未发布或逾期发布的信息（工作人员）",
    description="未发布且已过期限的，以及 `year` 年内逾期发布的（第二十六条）。`working_days_late` 为超出的工作日数。",
)
async def overdue(
    request: Request,
    uow: UoW,
    principal: Reader,
    agency_id: Annotated[str | None, Query(max_length=36)] = None,
    year: Annotated[int | None, Query(ge=2008, le=2100)] = None,
) -> dict[str, Any]:
    scope = await scope_of(uow.session, principal)
    if agency_id:
        if scope is not None and agency_id not in scope:
            raise Problem(403, "agency_out_of_scope", "该机关不在您的管辖范围内")
        scope = await subtree(uow.session, agency_id)
    cal, now = request.app.state.calendar, today(request)
    items = []
    for d in await late_documents(uow.session, scope, now, year):
        until = d.published_on or now
        items.append(
            {
                "id": d.id,
                "index_number": d.index_number,
                "title": d.title,
                "agency_id": d.agency_id,
                "status": d.status,
                "made_on": d.made_on,
                "publish_due_on": d.publish_due_on,
                "published_on": d.published_on,
                "working_days_late": cal.workdays_between(d.publish_due_on, until),
            }
        )
    return {"today": now, "items": items}


@router.get("/{document_id}", summary="信息详情（工作人员）", description="响应头 ETag 用于修改时的 If-Match。")
async def get_document(document_id: str, uow: UoW, response: Response, principal: Reader) -> dict[str, Any]:
    return await _view(uow, await _visible(uow, principal, document_id), response)


@router.patch("/{document_id}", summary="修改草稿（承办人等）", description="只有草稿可以修改；If-Match 过期返回 412。")
async def edit_document(
    document_id: str, body: c.DocumentPatch, uow: UoW, request: Request, response: Response, principal: Editor
) -> dict[str, Any]:
    d = await _visible(uow, principal, document_id)
    check_if_match(request, d)
    await docs.edit(uow, d, principal, body, request.app.state.calendar, today(request))
    await uow.session.flush()
    return await _view(uow, d, response)


# A lifecycle step's use case: (uow, document, principal, body, today).
StepRun = Callable[[UnitOfWork, Document, Principal, Any, date], Awaitable[object]]


def _step(path: str, summary: str, role: Any, body_model: type[BaseModel], run: StepRun) -> None:
    """One lifecycle step endpoint: load in scope, If-Match, run, answer with the new state.
    A step whose body has no required field may be posted without a body."""

    async def act(
        document_id: str, body: Any, uow: UnitOfWork, request: Request, response: Response, principal: Principal
    ) -> dict[str, Any]:
        d = await _visible(uow, principal, document_id)
        check_if_match(request, d)
        await run(uow, d, principal, body, today(request))
        await uow.session.flush()
        return await _view(uow, d, response)

    # `principal` and `body` are annotated below with this step's role and body model (Any here).
    async def optional_body(
        document_id: str, uow: UoW, request: Request, response: Response, principal: Any, body: Any = None
    ) -> dict[str, Any]:
        return await act(document_id, body or body_model(), uow, request, response, principal)

    async def required_body(document_id: str, body: Any, uow: UoW, request: Request, response: Response, principal: Any) -> dict[str, Any]:
        return await act(document_id, body, uow, request, response, principal)

    optional = all(not f.is_required() for f in body_model.model_fields.values())
    endpoint = optional_body if optional else required_body
    endpoint.__name__ = "step_" + path.replace("/", "_")
    # Local names: resolve the annotations here, not from the module's globals.
    endpoint.__annotations__["principal"] = role
    endpoint.__annotations__["body"] = body_model | None if optional else body_model
    router.add_api_route(
        f"/{{document_id}}/{path}",
        endpoint,
        methods=["POST"],
        summary=summary,
        description="不允许的状态返回 409（含当前状态与可执行的步骤）；If-Match 过期返回 412。",
    )


_step("submit", "提交保密审查（承办人等）", Editor, c.ApproveIn, lambda uow, d, p, b, t: docs.submit(uow, d, p))
_step(
    "approve",
    "保密审查通过并发布（审查人、负责人；不得为起草人）",
    Reviewer,
    c.ApproveIn,
    lambda uow, d, p, b, t: docs.approve(uow, d, p, t),
)
_step("return", "退回起草人修改（审查人、负责人）", Reviewer, c.NoteIn, lambda uow, d, p, b, t: docs.return_to_author(uow, d, p, b.note))
_step("revisions", "修订已发布的信息（须再经保密审查）", Editor, c.RevisionIn, lambda uow, d, p, b, t: docs.propose_revision(uow, d, p, b))
_step(
    "revisions/approve", "修订审查通过（不得为修订人）", Reviewer, c.ApproveIn, lambda uow, d, p, b, t: docs.approve_revision(uow, d, p, t)
)
_step("revisions/return", "退回修订", Reviewer, c.NoteIn, lambda uow, d, p, b, t: docs.return_revision(uow, d, p, b.note))
_step("validity", "宣布失效或废止（负责人、管理员）", Manager, c.ValidityIn, lambda uow, d, p, b, t: docs.change_validity(uow, d, p, b))
_step("withdraw", "撤回已发布的信息（负责人、管理员）", Manager, c.NoteIn, lambda uow, d, p, b, t: docs.withdraw(uow, d, p, b.note))


@router.get("/{document_id}/revisions", summary="修订历史（工作人员）")
async def revisions(document_id: str, uow: UoW, principal: Reader) -> list[dict[str, Any]]:
    d = await _visible(uow, principal, document_id)
    rows = (
        await uow.session.execute(select(DocumentRevision).where(DocumentRevision.document_id == d.id).order_by(DocumentRevision.revision))
    ).scalars()
    return [
        {
            "revision": r.revision,
            "snapshot": r.snapshot,
            "reason": r.reason,
            "revised_by": r.revised_by,
            "approved_by": r.approved_by,
            "created_at": r.created_at,
        }
        for r in rows
    ]


@router.post(
    "/{document_id}/attachments",
    status_code=201,
    summary="上传附件（草稿阶段）",
    description="超过大小上限返回 413；类型不允许或内容与类型不符返回 415；非草稿返回 409。",
)
async def upload(
    document_id: str, request: Request, uow: UoW, principal: Editor, file: Annotated[UploadFile, File(description="附件")]
) -> dict[str, Any]:
    d = await _visible(uow, principal, document_id)
    if d.status != Status.draft:
        raise Problem(409, "illegal_transition", "只有草稿可以添加附件", current_status=d.status)
    settings = request.app.state.settings
    content_type, data = await read_upload(file, allowed_types=settings.attachment_types, max_bytes=settings.attachment_max_bytes)
    attachment_id = new_id()
    digest, key = content_key(data, attachment_id)
    await request.app.state.storage.put(key, data)
    a = DocumentAttachment(
        id=attachment_id,
        document_id=d.id,
        filename=safe_filename(file.filename),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        storage_key=key,
        uploaded_by=principal.sub,
    )
    uow.session.add(a)
    await uow.session.flush()
    return attachment_view(a)
