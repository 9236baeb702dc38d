"""Public catalog search: full text, filters, facets, relevance or date order, pages.

PostgreSQL matches the query's lexemes against the GIN-indexed tsvector and ranks with
``ts_rank`` (title, 文号 and keywords weigh most); facet counts come from one pass with
GROUPING SETS. SQLite (the embedded default, one county's catalog) matches the same lexemes
with LIKE over the space-framed lexeme string. Only published items are ever searched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Label

from services.catalog.adapters.orm import EPOCH, GIN_DAY, GIN_SAMPLE, GIN_YEAR, SAMPLE_BUCKETS, Document
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
# would visit every matching row (one heap page each: ~10 µs from memory, ~100 µs from disk),
# so they are estimated from the rows whose sample_bucket falls in a permille sample — first
# PROBE of SAMPLE_BUCKETS, then as many buckets as give about `sample_rows` matches — and
# relevance gives way to date order. All of it was measured at 2.4 million documents
# (bench/catalog_search.py, README).
PROBE = 2  # buckets read first: a 0.2% sample
DENSE_WALK_ROWS = 600  # a date-ordered page found within this many rows of the date index: walk it


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _like_literal(lexeme: str) -> str:
    """A lexeme matched as itself in LIKE: `_`, `%` and the escape character are no wildcards."""
    return lexeme.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_match(pg: bool, query: Query) -> ColumnElement[bool]:
    if pg:
        return Document.search_vector.op("@@")(cast(literal(query.tsquery_literal()), TSQUERY))
    groups = []
    for group in query.groups:
        alternatives = [
            and_(*(Document.search_vector.like(f"% {_like_literal(lexeme)} %", escape="\\") for lexeme in alt)) for alt in group
        ]
        groups.append(or_(*alternatives))
    return and_(*groups)


# PostgreSQL: the GIN index (migration 0003, btree_gin) holds, next to the words, agency_id, the
# year, the day number and the sample bucket as expressions. A condition written on one of these
# expressions is answered inside GIN, by intersecting posting lists; one on the plain column goes
# to the btree indexes or the heap. Exact keys (an agency, a year, a few buckets, a short run of
# days) are cheap in GIN; long ranges are not (GIN unions every key's list: ~100 ms for two
# years of days or 160 buckets, measured), so those stay on the plain columns.
YEAR: ColumnClause[Any] = literal_column(GIN_YEAR)
DAY: ColumnClause[Any] = literal_column(GIN_DAY)
SAMPLE: ColumnClause[Any] = literal_column(GIN_SAMPLE)
GIN_SAMPLE_MAX, GIN_DAYS_MAX, GIN_YEARS_MAX = 10, 92, 6


def _where(pg: bool, c: Criteria, *, with_text: bool = True) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Document.status == Status.published.value]
    if c.doc_number_key:
        where.append(Document.doc_number_key == c.doc_number_key)
    elif with_text and c.query is not None and not c.query.empty:
        where.append(_text_match(pg, c.query))
        if pg:
            where += _in_gin(c)
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


def _in_gin(c: Criteria) -> list[ColumnElement[bool]]:
    """The filters again, in the GIN index's terms, where GIN answers them cheaply (redundant with
    the plain conditions, which stay and keep the result exact)."""
    extra: list[ColumnElement[bool]] = []  # (agency_id is a plain column of the index: its condition in _where serves GIN as is)
    first, last = c.published_from, c.published_to
    if first and last and (last - first).days <= GIN_DAYS_MAX:
        extra.append(DAY.between((first - EPOCH).days, (last - EPOCH).days))
    elif first:
        # Open-ended: up to next year, so a server clock behind the county's drops no row.
        years = range(first.year, (last.year if last else date.today().year + 1) + 1)
        if len(years) <= GIN_YEARS_MAX:
            extra.append(YEAR.in_(list(years)))
    return extra


def _rank(pg: bool, c: Criteria) -> ColumnElement:
    if c.query is None or c.query.empty or c.doc_number_key:
        return literal(0.0)
    if pg:
        # Title, 文号 and keyword hits first (a small inline vector, cheap to rank however many
        # documents match); then newer first, by the ORDER BY that follows.
        return func.ts_rank(
            func.coalesce(Document.title_vector, cast(literal(""), TSVECTOR)), cast(literal(c.query.tsquery_literal()), TSQUERY)
        )
    # SQLite: a title that holds the query's words first.
    lexemes = [alt[0] for group in c.query.groups for alt in group[:1]]
    return sum((case((Document.title.contains(x, autoescape=True), 1.0), else_=0.0) for x in lexemes), literal(0.0))


def _year(pg: bool) -> ColumnElement:
    year = func.extract("year", Document.published_on) if pg else func.strftime("%Y", Document.published_on)
    return cast(year, Integer)


LIST_COLUMNS = (
    Document.id,
    Document.agency_id,
    Document.index_number,
    Document.title,
    Document.summary,
    Document.publisher,
    Document.doc_number,
    Document.category_code,
    Document.topic_code,
    Document.keywords,
    Document.made_on,
    Document.published_on,
    Document.validity,
    Document.validity_changed_on,
    Document.interprets_id,
)


async def search(
    session: AsyncSession,
    c: Criteria,
    *,
    sort: str,
    offset: int,
    limit: int,
    exact_limit: int = 2_000,
    sample_rows: int = 200,
    dense_walk_rows: int = DENSE_WALK_ROWS,
) -> Page:
    pg = _is_pg(session)
    words = c.query is not None and not c.query.empty and not c.doc_number_key
    if pg:
        # Exact (not lossy) bitmaps for broad matches, and no JIT for short queries.
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
        await session.execute(text("SET LOCAL jit = off"))
        if words:
            # Matches come from the GIN index, never from walking the date index and testing each
            # row's vector: that reads the vector out of TOAST per row, and the planner does not
            # count that cost (measured: 25-50 ms for a page of a common word, 3 ms this way).
            await session.execute(text("SET LOCAL enable_indexscan = off"))
    where = _where(pg, c)
    approximate, share, total, counts = False, SAMPLE_BUCKETS, 0, {}
    if pg:
        sampled = await _facets(session, pg, [*where, _in_sample(pg, PROBE, words)])
        seen = sum(sampled["validity"].values())
        wanted = min(SAMPLE_BUCKETS, max(PROBE, -(-sample_rows * PROBE // max(seen, 1))))  # buckets to read
        if seen * SAMPLE_BUCKETS > exact_limit * PROBE and wanted < SAMPLE_BUCKETS:
            approximate, share = True, wanted
            if share > PROBE:
                sampled = await _facets(session, pg, [*where, _in_sample(pg, share, words)])
            scale = SAMPLE_BUCKETS / share
            counts = {name: {k: round(v * scale) for k, v in values.items()} for name, values in sampled.items()}
            total = round(sum(sampled["validity"].values()) * scale)
    if not approximate:
        counts = await _facets(session, pg, where)
        total = sum(counts["validity"].values())
    if approximate and sort == "relevance":
        sort = "date"
    rank = _rank(pg, c).label("rank")
    order: list[ColumnElement[Any]] = [Document.published_on.desc(), Document.id.desc()]
    if sort == "relevance":
        order = [rank.desc(), *order]
    elif sort == "date_asc":
        order = [Document.published_on.asc(), Document.id.asc()]
    stmt: Select = select(*LIST_COLUMNS, rank).where(*where).order_by(*order).offset(offset).limit(limit)
    rows, walk = None, False
    if approximate and words:
        # So common a word that walking the date index finds the page within a few hundred rows:
        # cheaper than any window (each row's vector is read, but few rows are).
        walk = (offset + limit) * await _table_rows(session) / max(total, 1) <= dense_walk_rows
        if not walk:
            rows = await _page_in_window(session, pg, stmt, where, share, sort, offset + limit, limit)
    if walk:
        await session.execute(text("SET LOCAL enable_indexscan = on"))
    if rows is None:
        rows = list((await session.execute(stmt)).all())
    if pg and words and not walk:
        await session.execute(text("SET LOCAL enable_indexscan = on"))  # the rest of the transaction plans freely
    return Page(total=total, rows=rows, facets=counts, approximate=approximate, sort=sort)


def _in_sample(pg: bool, buckets: int, words: bool) -> ColumnElement[bool]:
    if pg and words and buckets <= GIN_SAMPLE_MAX:
        return SAMPLE < buckets  # a few buckets: intersected with the words inside GIN
    # Filters only: an index-only scan of ix_documents_sample. Many buckets with words: the low
    # end of that index, which every probe reads and so stays in memory.
    return Document.sample_bucket < buckets


async def _page_in_window(
    session: AsyncSession, pg: bool, stmt: Select, where: list[ColumnElement[bool]], share: int, sort: str, needed: int, limit: int
) -> list | None:
    """A date-ordered page of very many word matches, read from a date window the sample predicts.

    The k-th newest sampled match bounds a window expected to hold k·SAMPLE_BUCKETS/share
    matches (at least twice what the page needs); GIN intersects the words with that window, so
    only its matches are read instead of every match. Every match outside the window is older
    (newer, for date_asc) than every match in it, so when the window holds the whole page the
    page is exact; when it does not, the caller reads without a window."""
    newest_first = sort != "date_asc"
    day = Document.published_on
    # k ≥ 3: with the 3rd sampled match as the edge, a window short of the page is a ~1e-4 event
    # where matches are even in time; where they thin out (the newest days), the wider retry reads it.
    first = max(3, -(-2 * needed * share // SAMPLE_BUCKETS))
    for k in (first, 4 * first):
        edge = await session.scalar(
            select(day)
            .where(*where, _in_sample(pg, share, True))
            .order_by(day.desc() if newest_first else day.asc())
            .offset(k - 1)
            .limit(1)
        )
        if edge is None:
            return None  # the sample holds fewer than k matches: no narrower window to read
        edge_day = (edge - EPOCH).days  # on the GIN day expression: the window is intersected inside GIN
        rows = list((await session.execute(stmt.where(DAY >= edge_day if newest_first else DAY <= edge_day))).all())
        if len(rows) == limit:
            return rows
    return None


async def _table_rows(session: AsyncSession) -> float:
    """The planner's estimate of the table's rows (kept by ANALYZE): enough to judge density."""
    return float(await session.scalar(text("SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'documents'::regclass")))


async def _facets(session: AsyncSession, pg: bool, where: list[ColumnElement[bool]]) -> dict[str, dict[str, int]]:
    dims: dict[str, SQLColumnExpression[Any]] = {
        "category": Document.category_code,
        "topic": Document.topic_code,
        "agency": Document.agency_id,
        "validity": Document.validity,
        "year": _year(pg),
    }
    out: dict[str, dict[str, int]] = {name: {} for name in dims}
    if pg:
        columns: list[Label[Any]] = [col.label(name) for name, col in dims.items()]
        grouping = [func.grouping(col).label(f"g_{name}") for name, col in dims.items()]
        stmt = (
            select(*columns, *grouping, func.count().label("n"))
            .where(*where)
            .group_by(func.grouping_sets(*(tuple_(col) for col in dims.values())))
        )
        for row in (await session.execute(stmt)).mappings():
            for name in dims:
                if row[f"g_{name}"] == 0:  # this row groups by `name`
                    out[name][_key(row[name])] = row["n"]
                    break
        return out
    for name, col in dims.items():
        by_value: Select[Any, int] = select(col.label("v"), func.count().label("n")).where(*where).group_by(col)
        for value, n in (await session.execute(by_value)).all():
            out[name][_key(value)] = n
    return out


def _key(value) -> str:
    return "" if value is None else str(value)
