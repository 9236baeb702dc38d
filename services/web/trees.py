"""The agency tree and the 信息类别 tree as the column shows them: nested, counted, in the catalog's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

AGENCY_KINDS = {
    "county_government": "县（区）人民政府",
    "department": "政府工作部门",
    "township": "乡镇人民政府、街道办事处",
    "other": "其他机构",
}


def _nest(items: list[dict[str, Any]], key: str, parent_key: str) -> list[dict[str, Any]]:
    """Items as a forest (an item whose parent is not listed is a root), keeping the given order."""
    ids = {item[key] for item in items}
    nodes = {item[key]: {**item, "children": []} for item in items}
    roots: list[dict[str, Any]] = []
    for item in items:
        parent = item.get(parent_key)
        (nodes[parent]["children"] if parent in ids and parent != item[key] else roots).append(nodes[item[key]])
    return roots


def category_tree(
    categories: Iterable[Mapping[str, Any]], counts: Mapping[str, int] | None = None, kind: str = "category"
) -> list[dict[str, Any]]:
    """The /categories answer of one kind, nested, each with its document count (a parent's includes its children's)."""
    counts = counts or {}
    items = [
        {"code": c["code"], "name": c["name"], "parent_code": c.get("parent_code"), "count": counts.get(c["code"], 0)}
        for c in categories
        if c.get("kind") == kind
    ]
    return _nest(items, "code", "parent_code")


def agency_tree(agencies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The /agencies answer nested under the county government, departments before townships, each by name."""
    order = list(AGENCY_KINDS)
    items = sorted(
        ({"id": a["id"], "name": a["name"], "kind": a.get("kind"), "parent_id": a.get("parent_id")} for a in agencies),
        key=lambda a: (order.index(a["kind"]) if a["kind"] in order else len(order), a["name"]),
    )
    return _nest(items, "id", "parent_id")


def flatten(tree: list[dict[str, Any]], depth: int = 0) -> list[tuple[dict[str, Any], int]]:
    """Depth-first (node, depth) pairs: the order a nested list reads in."""
    out = []
    for node in tree:
        out.append((node, depth))
        out.extend(flatten(node["children"], depth + 1))
    return out


def county_root(agencies: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The county government: the root of the tree (the first county-government root if several)."""
    roots = [a for a in agencies if not a.get("parent_id")]
    preferred = [a for a in roots if a.get("kind") == "county_government"]
    return (preferred or roots or [None])[0]  # type: ignore[list-item]  # [None]: no root (web's code left as is here)


def facet_counts(values: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    return {str(v["code"]): int(v["count"]) for v in values if v.get("code") is not None}


def paragraphs(text: str | None) -> list[str]:
    """A plain-text body or guide section as paragraphs (one per non-empty line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
