"""The public catalog: search and read what was published. No login; drafts and withdrawn items never appear."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from services.catalog.adapters import search as s
from services.catalog.adapters.orm import Category, Document, DocumentAttachment
from services.catalog.api.deps import agency_names, category_names
from services.catalog.api.views import VALIDITY_LABELS, attachment_view, public_view
from services.catalog.domain.documents import Status, Validity
from services.catalog.domain.search import doc_number_key, parse_query
from services.catalog.service.access import subtree
from shared.bounds import BoundedDate, Page
from shared.errors import Problem
from shared.filetypes import download_headers
from shared.service import UoW
from shared.trees import descendants

router = APIRouter(prefix="/public/documents", tags=["政府信息公开目录（公开）"])


def _problem_field(field: str, code: str, message: str) -> Problem:
    return Problem(422, code, message, errors=[{"field": field, "message": message}])


@router.get(
    "",
    summary="检索主动公开的信息（公开）",
    description="中文全文检索（标题、文号、关键词、正文），可按机关（含下级）、信息类别（含子类）、主题、有效性、发布日期筛选；"
    "返回各维度的分面计数。默认有检索词时按相关度、否则按发布日期倒序；同分按日期和 ID 排序，翻页稳定。"
    "命中超过 CATALOG_SEARCH_EXACT_LIMIT 条（默认2,000）时，总数与分面计数为抽样估计（`approximate: true`，页面可显示“约”），并改按发布日期排序（`sort` 如实返回）。",
)
async def search_documents(
    request: Request,
    uow: UoW,
    q: Annotated[str | None, Query(max_length=100, description="检索词，或文号如 青政办〔2026〕12号")] = None,
    agency_id: Annotated[str | None, Query(max_length=36, description="机关（含其下级机关）")] = None,
    category: Annotated[str | None, Query(max_length=40, description="信息类别代码（含子类）")] = None,
    topic: Annotated[str | None, Query(max_length=40, description="主题分类代码")] = None,
    validity: Annotated[Validity | None, Query(description="有效性")] = None,
    published_from: Annotated[BoundedDate | None, Query(alias="from", description="发布日期起")] = None,
    published_to: Annotated[BoundedDate | None, Query(alias="to", description="发布日期止")] = None,
    sort: Annotated[Literal["relevance", "date", "date_asc"] | None, Query(description="排序")] = None,
    page: Page = 1,
    size: Annotated[int, Query(ge=1, le=50)] = 20,
) -> dict[str, Any]:
    session = uow.session
    settings = request.app.state.settings
    if page > settings.search_max_page:
        raise _problem_field("page", "page_too_deep", f"最多可翻到第 {settings.search_max_page} 页，请增加筛选条件")
    if published_from and published_to and published_from > published_to:
        raise _problem_field("from", "date_range_invalid", "发布日期起不能晚于发布日期止")
    categories = list((await session.execute(select(Category))).scalars())
    names = {c.code: c.name for c in categories}
    kinds = {c.code: c.kind for c in categories}  # one table holds both trees: a topic is no category, nor the reverse
    tree = [(c.code, c.parent_code) for c in categories]
    criteria = s.Criteria(validity=validity.value if validity else None, published_from=published_from, published_to=published_to)
    if category is not None:
        if kinds.get(category) != "category":
            raise _problem_field("category", "unknown_category", f"未知的信息类别：{category}")
        criteria = replace(criteria, category_codes=frozenset(descendants(tree, category)))
    if topic is not None:
        if kinds.get(topic) != "topic":
            raise _problem_field("topic", "unknown_topic", f"未知的主题分类：{topic}")
        criteria = replace(criteria, topic_codes=frozenset({topic}))
    agencies = await agency_names(session)
    if agency_id is not None:
        if agency_id not in agencies:
            raise _problem_field("agency_id", "agency_not_found", "机关不存在")
        scope = frozenset(await subtree(session, agency_id))
        if len(scope) < len(agencies):  # the whole tree (the county) filters nothing: no condition to pay for
            criteria = replace(criteria, agency_ids=scope)
    text = (q or "").strip()
    if text:
        key = doc_number_key(text)
        parsed = parse_query(text)
        if key is None and parsed.empty:
            raise _problem_field("q", "query_too_vague", "检索词过于宽泛（单字或虚词），请输入至少两个字的词语")
        criteria = replace(criteria, doc_number_key=key, query=parsed)
    order = sort or ("relevance" if text else "date")
    limits = {"exact_limit": settings.search_exact_limit, "sample_rows": settings.search_sample_rows}
    page_ = await s.search(session, criteria, sort=order, offset=(page - 1) * size, limit=size, **limits)
    if criteria.doc_number_key and page_.total == 0:
        # Looked like a 文号 but none has it: search its words instead.
        criteria = replace(criteria, doc_number_key=None)
        page_ = await s.search(session, criteria, sort=order, offset=(page - 1) * size, limit=size, **limits)
    return {
        "total": page_.total,
        "approximate": page_.approximate,
        "page": page,
        "size": size,
        "sort": page_.sort,
        "items": [public_view(row, names, agencies) for row in page_.rows],
        "facets": _facets(page_.facets, names, agencies, tree),
    }


def _facets(
    raw: dict[str, dict[str, int]], names: dict[str, str], agencies: dict[str, str], tree: list[tuple[str, str | None]]
) -> dict[str, list[dict[str, Any]]]:
    """Counts per value, labelled; category counts roll up into their parents (a parent's count
    includes its subcategories, so choosing it as a filter returns exactly that many)."""
    parents = dict(tree)
    category: dict[str, int] = {}
    for code, n in raw.get("category", {}).items():
        node: str | None = code
        while node is not None:
            category[node] = category.get(node, 0) + n
            node = parents.get(node)
    out: dict[str, list[dict[str, Any]]] = {
        "category": [
            {"code": code, "name": names.get(code, code), "parent_code": parents.get(code), "count": n}
            for code, n in sorted(category.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "topic": [
            {"code": code or None, "name": names.get(code, "未分类") if code else "未分类", "count": n}
            for code, n in sorted(raw.get("topic", {}).items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "agency": [
            {"code": code, "name": agencies.get(code, code), "count": n}
            for code, n in sorted(raw.get("agency", {}).items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "validity": [
            {"code": code, "name": VALIDITY_LABELS.get(code, code), "count": n}
            for code, n in sorted(raw.get("validity", {}).items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "year": [{"code": code, "name": f"{code}年", "count": n} for code, n in sorted(raw.get("year", {}).items(), reverse=True)],
    }
    return out


async def _published(uow, document_id: str) -> Document:
    d = await uow.session.get(Document, document_id)
    if d is None or d.status != Status.published:
        raise Problem(404, "document_not_found", "信息不存在或未公开")
    return d


@router.get("/{document_id}", summary="信息详情（公开）", description="政策文件同时列出其政策解读；政策解读同时给出所解读的政策文件。")
async def read_document(document_id: str, uow: UoW) -> dict[str, Any]:
    d = await _published(uow, document_id)
    session = uow.session
    names, agencies = await category_names(session), await agency_names(session)
    attachments = (
        await session.execute(
            select(DocumentAttachment).where(DocumentAttachment.document_id == d.id).order_by(DocumentAttachment.created_at)
        )
    ).scalars()
    view = public_view(d, names, agencies) | {"body": d.body, "attachments": [attachment_view(a) for a in attachments]}
    interpretations = (
        await session.execute(
            select(Document)
            .where(Document.interprets_id == d.id, Document.status == Status.published.value)
            .order_by(Document.published_on, Document.id)
        )
    ).scalars()
    view["interpretations"] = [public_view(i, names, agencies) for i in interpretations]
    view["policy"] = None
    if d.interprets_id:
        policy = await session.get(Document, d.interprets_id)
        if policy is not None and policy.status == Status.published:
            view["policy"] = public_view(policy, names, agencies)
    return view


@router.get("/{document_id}/attachments/{attachment_id}", summary="下载附件（公开）")
async def download(document_id: str, attachment_id: str, uow: UoW, request: Request) -> Response:
    d = await _published(uow, document_id)
    a = await uow.session.get(DocumentAttachment, attachment_id)
    if a is None or a.document_id != d.id:
        raise Problem(404, "attachment_not_found", "附件不存在")
    data = await request.app.state.storage.get(a.storage_key)
    return Response(data, media_type=a.content_type, headers=download_headers(a.filename, ETag=f'"{a.sha256}"'))
