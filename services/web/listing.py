"""What a search or catalog address asks for, turned into the catalog API's parameters and back into links.

The search and catalog pages are GET forms, so every result page, facet and page number is a
plain link anyone can bookmark or share; these helpers read those addresses forgivingly (a
mistyped page number is page 1, not an error) and write the links.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

PAGE_SIZE = 20
MAX_PAGE = 500  # the catalog's CATALOG_SEARCH_MAX_PAGE default: deeper pages are refused there
SORTS = {"relevance": "按相关度", "date": "按发布日期（新→旧）", "date_asc": "按发布日期（旧→新）"}
VALIDITIES = {"valid": "有效", "expired": "失效", "repealed": "废止"}
_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
# The address's names: short, as county sites use them (wh = 文号).
_NAMES = {
    "q": "q",
    "doc_number": "wh",
    "agency_id": "agency_id",
    "category": "category",
    "topic": "topic",
    "validity": "validity",
    "year": "year",
    "sort": "sort",
    "page": "page",
}
FILTERS = ("agency_id", "category", "topic", "year", "validity")
FILTER_TITLES = {"category": "信息类别", "topic": "主题分类", "agency_id": "发布机关", "year": "发布年份", "validity": "有效性"}


def _text(value: Any, limit: int = 100) -> str:
    return " ".join(str(value or "").split())[:limit]


def _code(value: Any) -> str | None:
    value = str(value or "").strip()
    return value if _CODE.match(value) else None


def _int(value: Any, low: int, high: int) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if low <= n <= high else None


@dataclass(frozen=True)
class Listing:
    """One search or catalog view: its words, 文号, filters, order and page."""

    q: str = ""
    doc_number: str = ""
    agency_id: str | None = None
    category: str | None = None
    topic: str | None = None
    validity: str | None = None
    year: int | None = None
    sort: str | None = None
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> Listing:
        validity = params.get("validity")
        sort = params.get("sort")
        return cls(
            q=_text(params.get("q")),
            doc_number=_text(params.get("wh")),
            agency_id=_code(params.get("agency_id")),
            category=_code(params.get("category")),
            topic=_code(params.get("topic")),
            validity=validity if validity in VALIDITIES else None,
            year=_int(params.get("year"), 2000, 2100),
            sort=sort if sort in SORTS else None,
            page=_int(params.get("page"), 1, MAX_PAGE) or 1,
        )

    @property
    def query_text(self) -> str:
        """What the catalog searches: a 文号 typed in its own field wins (the catalog recognises 文号 in `q`)."""
        return self.doc_number or self.q

    @property
    def searched(self) -> bool:
        return bool(self.query_text)

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in FILTERS)

    def api_params(self, size: int = PAGE_SIZE) -> dict[str, Any]:
        params: dict[str, Any] = {"page": self.page, "size": size}
        if self.query_text:
            params["q"] = self.query_text
        for name in ("agency_id", "category", "topic", "validity", "sort"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        if self.year:
            params["from"], params["to"] = f"{self.year}-01-01", f"{self.year}-12-31"
        return params

    def url(self, base: str, **changes: Any) -> str:
        """This view's address with `changes` (None removes); any change but the page goes back to page 1."""
        values = {**self.__dict__, "page": 1, **changes}  # (a page shows dozens of these links: no dataclass copies)
        query = urlencode([(_NAMES[k], v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)])
        return f"{base}?{query}" if query else base


def count_text(total: int, approximate: bool) -> str:
    """The API's total as a reader should take it: an estimate says 约."""
    return f"约{total}条" if approximate else f"共{total}条"


def pager(listing: Listing, base: str, total: int, size: int = PAGE_SIZE) -> dict[str, Any] | None:
    """Previous/next and a window of page numbers around the current one (None when one page holds all)."""
    last = min(MAX_PAGE, max(1, math.ceil(total / size)))
    current = listing.page
    if last <= 1 and current <= 1:
        return None
    numbers = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    pages: list[dict[str, Any] | None] = []
    for i, n in enumerate(numbers):
        if i and n - numbers[i - 1] > 1:
            pages.append(None)  # a gap: shown as …
        pages.append({"number": n, "url": listing.url(base, page=n), "current": n == current})
    return {
        "pages": pages,
        "current": current,
        "last": last,
        "prev": listing.url(base, page=min(current - 1, last)) if current > 1 else None,
        "next": listing.url(base, page=current + 1) if current < last else None,
    }


def _tree_order(values: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Category facet values with each subcategory right after its parent (the API lists them by count)."""
    codes = {v["code"] for v in values}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for v in values:
        parent = v.get("parent_code") if v.get("parent_code") in codes else None
        children.setdefault(parent, []).append(v)
    out: list[tuple[dict[str, Any], int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for v in children.get(parent, []):
            out.append((v, depth))
            walk(v["code"], depth + 1)

    walk(None, 0)
    return out


def facet_groups(facets: Mapping[str, list[dict[str, Any]]], listing: Listing, base: str) -> list[dict[str, Any]]:
    """The API's facet counts as groups of links that add (or, when chosen, remove) one filter each."""
    groups = []
    for name in ("category", "topic", "agency_id", "year", "validity"):
        raw = facets.get("agency" if name == "agency_id" else name) or []
        ordered = _tree_order(raw) if name == "category" else [(v, 0) for v in raw]
        values = []
        for v, depth in ordered:
            if v.get("code") in (None, ""):
                continue  # 未分类 (no topic) cannot be chosen as a filter
            code = int(v["code"]) if name == "year" else v["code"]
            chosen = getattr(listing, name) == code
            values.append(
                {
                    "label": v["name"],
                    "count": v["count"],
                    "depth": depth,
                    "selected": chosen,
                    "url": listing.url(base, **{name: None if chosen else code}),
                }
            )
        if values:
            groups.append({"name": name, "title": FILTER_TITLES[name], "values": values})
    return groups


def chosen_filters(
    listing: Listing, base: str, facets: Mapping[str, list[dict[str, Any]]], names: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """The filters in force, each with its label and a link that removes it."""
    labels = {(group, str(v.get("code"))): v["name"] for group, values in facets.items() for v in values}
    out = []
    for name in FILTERS:
        value = getattr(listing, name)
        if not value:
            continue
        facet = "agency" if name == "agency_id" else name
        label = (
            labels.get((facet, str(value)))
            or (names or {}).get(str(value))
            or (f"{value}年" if name == "year" else VALIDITIES.get(str(value), "所选条件"))
        )
        out.append({"title": FILTER_TITLES[name], "label": label, "url": listing.url(base, **{name: None})})
    return out


def field_errors(listing: Listing, errors: list[dict[str, Any]], detail: str) -> dict[str, str]:
    """The API's problems keyed by the field the reader typed into (a 文号 typed in its own field is sent as `q`)."""
    field = "wh" if listing.doc_number else "q"
    out: dict[str, str] = {}
    for e in errors:
        # Only the words and the 文号 are typed in; any other problem (a page too deep) is told at the words.
        out.setdefault(field, str(e.get("message") or detail))
    return out or {field: detail}
