"""Document use cases: drafting, confidentiality review, publication and what follows it.

Every step writes the document and queues its event in one transaction (the outbox), so a
publication is never recorded without its DocumentPublished, nor the other way round.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import cast, literal, select
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.adapters.orm import Agency, Category, Document, DocumentRevision, IndexSequence
from services.catalog.adapters.repository import doc_number_holder
from services.catalog.domain.documents import STEP_LABELS, Status, Step, Validity, allowed_steps, index_number, publication_due
from services.catalog.domain.search import Fields, doc_number_key, lexeme_string, tsvector_literal
from services.catalog.domain.taxonomy import INTERPRETATION
from services.catalog.service import commands as c
from services.catalog.service.access import ensure_in_scope, separation
from shared.auth import Principal
from shared.contracts import catalog as ev
from shared.errors import Problem
from shared.events import Actor
from shared.uow import UnitOfWork
from shared.workdays import WorkCalendar

SOURCE = "catalog"
REVISABLE = ("title", "summary", "body", "doc_number", "topic_code", "keywords")


def actor_of(p: Principal) -> Actor:
    return Actor(sub=p.sub, role=p.primary_role.value, agency_id=p.agency_id)


def _invalid(field: str, code: str, message: str, status: int = 422) -> Problem:
    return Problem(status, code, message, errors=[{"field": field, "message": message}])


async def _category(session: AsyncSession, code: str, kind: str, field: str) -> Category:
    category = await session.get(Category, code)
    if category is None or category.kind != kind or not category.active:
        what = "信息类别" if kind == "category" else "主题分类"
        raise _invalid(field, f"unknown_{kind}", f"未知的{what}：{code}")
    return category


def guard(d: Document, step: Step) -> None:
    allowed = allowed_steps(d.status, pending_revision=d.pending_revision is not None, validity=d.validity)
    if step not in allowed:
        raise Problem(
            409,
            "illegal_transition",
            f"当前状态（{d.status}）下不能{STEP_LABELS[step]}",
            current_status=d.status,
            allowed=[s.value for s in allowed],
        )


async def emit(uow: UnitOfWork, p: Principal | None, d: Document, cls: type[ev.DocumentEvent], **fields) -> None:
    """Queue a document event: the document, its agency and its annual-report class, plus `fields`."""
    category = await uow.session.get(Category, d.category_code)
    event = cls(document_id=d.id, agency_id=d.agency_id, category=(category.report_class if category else None) or "other", **fields)
    actor = actor_of(p) if p else Actor.system("catalog-scheduler")
    uow.emit(event.topic, event.envelope(source=SOURCE, aggregate_id=d.id, agency_id=d.agency_id, actor=actor))


async def _step_event(uow: UnitOfWork, p: Principal, cls: type[ev.DocumentStep], d: Document, note: str | None = None) -> None:
    await emit(uow, p, d, cls, index_number=d.index_number, title=d.title, status=d.status, note=note)


async def next_index_number(session: AsyncSession, agency: Agency, year: int) -> str:
    """The next 索引号 of this agency and year; the counter row is locked, so two drafts never share one."""
    row = (
        await session.execute(
            select(IndexSequence).where(IndexSequence.agency_id == agency.id, IndexSequence.year == year).with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        row = IndexSequence(agency_id=agency.id, year=year, last=0)
        session.add(row)
    row.last += 1
    await session.flush()
    return index_number(agency.credit_code or "", year, row.last)


async def _check_interpretation(session: AsyncSession, p: Principal, category_code: str, interprets_id: str | None) -> None:
    if interprets_id is None:
        return
    if category_code != INTERPRETATION:
        raise _invalid("interprets_id", "interpretation_category", "只有信息类别为“政策解读”的信息可以关联被解读的政策文件")
    policy = await session.get(Document, interprets_id)
    if policy is None or policy.status == Status.withdrawn:
        raise _invalid("interprets_id", "policy_not_found", "被解读的政策文件不存在")
    await ensure_in_scope(session, p, policy.agency_id)
    if policy.category_code == INTERPRETATION:
        raise _invalid("interprets_id", "policy_not_found", "不能解读另一篇政策解读")


async def _require_unique_doc_number(
    session: AsyncSession, agency_id: str, doc_number: str | None, category_code: str, document_id: str | None
) -> None:
    """One 文号 names one document of an agency: a duplicate is refused (a revision keeps its own; a withdrawn one frees it;
    a 政策解读 may cite its policy's)."""
    key = doc_number_key(doc_number)
    if key is None or category_code == INTERPRETATION:
        return
    holder = await doc_number_holder(session, agency_id, key, other_than=document_id)
    if holder is not None:
        raise _invalid(
            "doc_number", "doc_number_taken", f"本机关已有文号为 {key} 的信息（索引号 {holder.index_number}，{holder.title}）", 409
        )


def _require_not_future(value: date, today: date, field: str) -> None:
    if value > today:
        raise _invalid(field, "date_in_future", "生成日期不能晚于今天")


async def create(uow: UnitOfWork, p: Principal, cmd: c.DocumentIn, cal: WorkCalendar, today: date) -> Document:
    session = uow.session
    agency = await session.get(Agency, cmd.agency_id)
    if agency is None:
        raise _invalid("agency_id", "agency_not_found", "发布机关不存在")
    await ensure_in_scope(session, p, agency.id, hide=False)
    if not agency.credit_code:
        raise Problem(409, "agency_credit_code_missing", "该机关尚未登记统一社会信用代码，无法生成索引号")
    await _category(session, cmd.category_code, "category", "category_code")
    if cmd.topic_code:
        await _category(session, cmd.topic_code, "topic", "topic_code")
    _require_not_future(cmd.made_on, today, "made_on")
    await _check_interpretation(session, p, cmd.category_code, cmd.interprets_id)
    await _require_unique_doc_number(session, agency.id, cmd.doc_number, cmd.category_code, None)
    d = Document(
        agency_id=agency.id,
        index_number=await next_index_number(session, agency, cmd.made_on.year),
        title=cmd.title,
        summary=cmd.summary,
        body=cmd.body,
        publisher=cmd.publisher or agency.name,
        doc_number=cmd.doc_number,
        doc_number_key=doc_number_key(cmd.doc_number),
        category_code=cmd.category_code,
        topic_code=cmd.topic_code,
        keywords=list(cmd.keywords),
        made_on=cmd.made_on,
        publish_due_on=publication_due(cal, cmd.made_on),
        status=Status.draft.value,
        validity=Validity.valid.value,
        interprets_id=cmd.interprets_id,
        decision_count=cmd.decision_count,
        fee_amount_yuan=cmd.fee_amount_yuan,
        author_sub=p.sub,
        revision=1,
    )
    session.add(d)
    await session.flush()
    await _step_event(uow, p, ev.DocumentDrafted, d)
    return d


async def edit(uow: UnitOfWork, d: Document, p: Principal, cmd: c.DocumentPatch, cal: WorkCalendar, today: date) -> None:
    guard(d, Step.edit)
    changes = cmd.model_dump(exclude_unset=True)
    if "title" in changes and changes["title"] is None:
        raise _invalid("title", "title_required", "信息名称不能为空")
    if changes.get("category_code"):
        await _category(uow.session, changes["category_code"], "category", "category_code")
        if d.interprets_id and changes["category_code"] != INTERPRETATION:
            raise _invalid("category_code", "interpretation_category", "关联了政策文件的政策解读不能改为其他类别")
    if changes.get("topic_code"):
        await _category(uow.session, changes["topic_code"], "topic", "topic_code")
    if changes.get("made_on"):
        _require_not_future(changes["made_on"], today, "made_on")
    for name, value in changes.items():
        if name == "body" and value is None:
            value = ""
        setattr(d, name, value)
    if "made_on" in changes:
        d.publish_due_on = publication_due(cal, d.made_on)
    if "doc_number" in changes or "category_code" in changes:
        await _require_unique_doc_number(uow.session, d.agency_id, d.doc_number, d.category_code, d.id)
    if "doc_number" in changes:
        d.doc_number_key = doc_number_key(d.doc_number)


async def submit(uow: UnitOfWork, d: Document, p: Principal) -> None:
    guard(d, Step.submit)
    if not d.body.strip() and not d.summary:
        raise Problem(422, "document_empty", "正文和内容概述不能都为空")
    d.status, d.submitted_by = Status.in_review.value, p.sub
    await _step_event(uow, p, ev.DocumentSubmitted, d)


async def return_to_author(uow: UnitOfWork, d: Document, p: Principal, note: str) -> None:
    guard(d, Step.return_)
    separation(p, d.author_sub, "审查")
    d.status, d.review_note, d.reviewed_by = Status.draft.value, note, p.sub
    await _step_event(uow, p, ev.DocumentReturned, d, note)


def index_for_search(session: AsyncSession, d: Document) -> None:
    """Set the search columns of a published document (PostgreSQL: tsvectors; SQLite: lexemes)."""
    fields = Fields(title=d.title, doc_number=d.doc_number, keywords=d.keywords or [], summary=d.summary, body=d.body)
    if session.get_bind().dialect.name == "postgresql":
        d.search_vector = cast(literal(tsvector_literal(fields)), TSVECTOR)
        d.title_vector = cast(literal(tsvector_literal(fields, title_only=True)), TSVECTOR)
    else:
        d.search_vector = lexeme_string(fields)


def unindex(d: Document) -> None:
    d.search_vector = d.title_vector = None


async def approve(uow: UnitOfWork, d: Document, p: Principal, today: date) -> None:
    """保密审查 passed: publish today; flag it when later than 20 working days after it was made."""
    guard(d, Step.approve)
    separation(p, d.author_sub, "审查")
    separation(p, d.submitted_by, "审查")
    if d.interprets_id:
        policy = await uow.session.get(Document, d.interprets_id)
        if policy is None or policy.status != Status.published:
            raise Problem(409, "policy_not_published", "被解读的政策文件尚未发布，解读须与政策文件同步或在其后发布")
    d.status, d.reviewed_by, d.review_note = Status.published.value, p.sub, None
    d.published_on = today
    d.published_on_time = today <= d.publish_due_on
    index_for_search(uow.session, d)
    await emit(
        uow,
        p,
        d,
        ev.DocumentPublished,
        index_number=d.index_number,
        title=d.title,
        made_on=d.made_on,
        published_on=today,
        published_on_time=d.published_on_time,
        decision_count=d.decision_count,
        fee_amount_yuan=d.fee_amount_yuan,
    )


async def propose_revision(uow: UnitOfWork, d: Document, p: Principal, cmd: c.RevisionIn) -> None:
    guard(d, Step.revise)
    changes = cmd.model_dump(exclude_unset=True, exclude={"reason"})
    if not changes:
        raise Problem(422, "revision_empty", "修订须至少修改一项内容")
    if "title" in changes and changes["title"] is None:
        raise _invalid("title", "title_required", "信息名称不能为空")
    if changes.get("topic_code"):
        await _category(uow.session, changes["topic_code"], "topic", "topic_code")
    if "doc_number" in changes:
        await _require_unique_doc_number(uow.session, d.agency_id, changes["doc_number"], d.category_code, d.id)
    d.pending_revision = {"changes": changes, "reason": cmd.reason, "by": p.sub}
    await _step_event(uow, p, ev.DocumentRevisionProposed, d, cmd.reason)


def snapshot(d: Document) -> dict:
    return {name: getattr(d, name) for name in (*REVISABLE, "revision")} | {
        "published_on": d.published_on.isoformat() if d.published_on else None
    }


async def approve_revision(uow: UnitOfWork, d: Document, p: Principal, today: date) -> None:
    guard(d, Step.approve_revision)
    pending = d.pending_revision or {}
    separation(p, pending.get("by"), "审查")
    if "doc_number" in pending.get("changes", {}):  # another document may have taken it since the proposal
        await _require_unique_doc_number(uow.session, d.agency_id, pending["changes"]["doc_number"], d.category_code, d.id)
    uow.session.add(
        DocumentRevision(
            document_id=d.id,
            revision=d.revision,
            snapshot=snapshot(d),
            reason=pending.get("reason"),
            revised_by=pending.get("by") or "",
            approved_by=p.sub,
        )
    )
    for name, value in pending.get("changes", {}).items():
        setattr(d, name, "" if name == "body" and value is None else value)
    d.doc_number_key = doc_number_key(d.doc_number)
    d.revision += 1
    d.pending_revision = None
    index_for_search(uow.session, d)
    await emit(uow, p, d, ev.DocumentRevised, index_number=d.index_number, title=d.title, revision=d.revision, revised_on=today)


async def return_revision(uow: UnitOfWork, d: Document, p: Principal, note: str) -> None:
    guard(d, Step.return_revision)
    separation(p, (d.pending_revision or {}).get("by"), "审查")
    d.pending_revision = None
    await _step_event(uow, p, ev.DocumentRevisionReturned, d, note)


async def change_validity(uow: UnitOfWork, d: Document, p: Principal, cmd: c.ValidityIn) -> None:
    guard(d, Step.change_validity)
    if cmd.effective_on < d.made_on:
        raise _invalid("effective_on", "effective_before_made", "失效或废止日期不能早于生成日期")
    d.validity, d.validity_changed_on = cmd.validity.value, cmd.effective_on
    await emit(uow, p, d, ev.DocumentRepealed, validity=cmd.validity.value, effective_on=cmd.effective_on)


async def withdraw(uow: UnitOfWork, d: Document, p: Principal, note: str) -> None:
    guard(d, Step.withdraw)
    d.status, d.withdrawn_reason, d.pending_revision = Status.withdrawn.value, note, None
    unindex(d)
    await emit(uow, p, d, ev.DocumentWithdrawn)
