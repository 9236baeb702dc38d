"""Public catalog search: full text, filters, facets, relevance or date order, pages.

PostgreSQL matches the query's lexemes against the GIN-indexed tsvector and ranks with
``ts_rank`` (title, 文号 and keywords weigh most); facet counts come from one pass with
GROUPING SETS. SQLite (the embedded default, one county's catalog) matches the same lexemes
with LIKE over the space-framed lexeme string. Only published items are ever searched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, func, literal, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.adapters.orm import Document
from services.catalog.domain.documents import Status
from services.catalog.domain.search import Query

FACETS = ("category", "topic", "agency", "validity", "year")


@dataclass(frozen=True)
class Criteria:
    query: Query | None = None
    doc_number_key: str | None = None
    agency_ids: frozenset[str] | None = None
    category_codes: frozenset[str] | None = None
    topic_codes: frozenset[str] | None = None
    validity: str | None = None
    published_from: date | None = None
    published_to: date | None = None


@dataclass
class Page:
    total: int
    rows: list
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    approximate: bool = False  # total and facets estimated from a sample (very many matches)
    sort: str = "date"


# Up to `exact_limit` matches, the total and every facet count are exact. Beyond it, counting
# would visit every matching row (hundreds of milliseconds at 2.4 million documents), so
# they are estimated from the rows whose sample_bucket falls in a 1-in-100 (or larger)
# sample of about `sample_rows` rows, and relevance gives way to date order, which an index
# serves directly.


def _is_pg(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def _text_match(pg: bool, query: Query) -> ColumnElement[bool]:
    if pg:
        return Document.search_vector.op("@@")(cast(literal(query.tsquery_literal()), TSQUERY))
    groups = []
    for group in query.groups:
        alternatives = [and_(*(Document.search_vector.like(f"% {lexeme} %") for lexeme in alt)) for alt in group]
        groups.append(or_(*alternatives))
    return and_(*groups)


def _where(pg: bool, c: Criteria, *, with_text: bool = True) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Document.status == Status.published.value]
    if c.doc_number_key:
        where.append(Document.doc_number_key == c.doc_number_key)
    elif with_text and c.query is not None and not c.query.empty:
        where.append(_text_match(pg, c.query))
    if c.agency_ids is not None:
        where.append(Document.agency_id.in_(sorted(c.agency_ids)))
    if c.category_codes is not None:
        where.append(Document.category_code.in_(sorted(c.category_codes)))
    if c.topic_codes is not None:
        where.append(Document.topic_code.in_(sorted(c.topic_codes)))
    if c.validity:
        where.append(Document.validity == c.validity)
    if c.published_from:
        where.append(Document.published_on >= c.published_from)
    if c.published_to:
        where.append(Document.published_on <= c.published_to)
    return where


def _rank(pg: bool, c: Criteria) -> ColumnElement:
    if c.query is None or c.query.empty or c.doc_number_key:
        return literal(0.0)
    if pg:
        # Title, 文号 and keyword hits first (a small inline vector, cheap to rank however many
        # documents match); then newer first, by the ORDER BY that follows.
        return func.ts_rank(func.coalesce(Document.title_vector, cast(literal(""), TSVECTOR)),
                            cast(literal(c.query.tsquery_literal()), TSQUERY))
    # SQLite: a title that holds the query's words first.
    lexemes = [alt[0] for group in c.query.groups for alt in group[:1]]
    return sum((case((Document.title.contains(x), 1.0), else_=0.0) for x in lexemes), literal(0.0))


def _year(pg: bool) -> ColumnElement:
    year = func.extract("year", Document.published_on) if pg else func.strftime("%Y", Document.published_on)
    return cast(year, Integer)


LIST_COLUMNS = (Document.id, Document.agency_id, Document.index_number, Document.title, Document.summary, Document.publisher,
                Document.doc_number, Document.category_code, Document.topic_code, Document.keywords, Document.made_on,
                Document.published_on, Document.validity, Document.validity_changed_on, Document.interprets_id)


async def search(session: AsyncSession, c: Criteria, *, sort: str, offset: int, limit: int,
                 exact_limit: int = 2_000, sample_rows: int = 1_500) -> Page:
    pg = _is_pg(session)
    if pg:
        # Exact (not lossy) bitmaps for broad matches, and no JIT for short queries.
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
        await session.execute(text("SET LOCAL jit = off"))
    where = _where(pg, c)
    approximate, total, counts = False, 0, {}
    if pg:
        sampled = await _facets(session, pg, [*where, Document.sample_bucket < 1])
        seen = sum(sampled["validity"].values())
        share = min(100, max(1, -(-sample_rows // max(seen, 1))))  # percent of buckets to read
        if seen * 100 > exact_limit and share < 100:
            approximate = True
            if share > 1:
                sampled = await _facets(session, pg, [*where, Document.sample_bucket < share])
            scale = 100 / share
            counts = {name: {k: round(v * scale) for k, v in values.items()} for name, values in sampled.items()}
            total = round(sum(sampled["validity"].values()) * scale)
    if not approximate:
        counts = await _facets(session, pg, where)
        total = sum(counts["validity"].values())
    if approximate and sort == "relevance":
        sort = "date"
    rank = _rank(pg, c).label("rank")
    order = [Document.published_on.desc(), Document.id.desc()]
    if sort == "relevance":
        order = [rank.desc(), *order]
    elif sort == "date_asc":
        order = [Document.published_on.asc(), Document.id.asc()]
    stmt: Select = select(*LIST_COLUMNS, rank).where(*where).order_by(*order).offset(offset).limit(limit)
    rows = list((await session.execute(stmt)).all())
    return Page(total=total, rows=rows, facets=counts, approximate=approximate, sort=sort)


async def _facets(session: AsyncSession, pg: bool, where: list[ColumnElement[bool]]) -> dict[str, dict[str, int]]:
    dims = {"category": Document.category_code, "topic": Document.topic_code, "agency": Document.agency_id,
            "validity": Document.validity, "year": _year(pg)}
    out: dict[str, dict[str, int]] = {name: {} for name in dims}
    if pg:
        columns = [col.label(name) for name, col in dims.items()]
        grouping = [func.grouping(col).label(f"g_{name}") for name, col in dims.items()]
        stmt = (select(*columns, *grouping, func.count().label("n")).where(*where)
                .group_by(func.grouping_sets(*(tuple_(col) for col in dims.values()))))
        for row in (await session.execute(stmt)).mappings():
            for name in dims:
                if row[f"g_{name}"] == 0:  # this row groups by `name`
                    out[name][_key(row[name])] = row["n"]
                    break
        return out
    for name, col in dims.items():
        stmt = select(col.label("v"), func.count().label("n")).where(*where).group_by(col)
        for value, n in (await session.execute(stmt)).all():
            out[name][_key(value)] = n
    return out


def _key(value) -> str:
    return "" if value is None else str(value)
