"""What the supervision and administration screens share: the agencies an officer may pick, and the calendar notice.

The agency choices are the officer's own agency and everything under it (an admin: every agency),
as catalog lists them; the APIs still decide what each officer may see or change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.web.backends import ApiProblem, Backends, BackendUnavailable
from services.web.session import Session
from services.web.trees import agency_tree, county_root, flatten


async def calendar_warning(api: Backends) -> str | None:
    """requests' notice from 1 November while next year's holidays are not entered (None otherwise, or when it cannot say)."""
    try:
        notice = await api.get_json("requests", "/calendar-notice")
    except (ApiProblem, BackendUnavailable):
        return None
    return notice.get("warning") or None


async def agencies_in_scope(api: Backends, s: Session) -> list[dict[str, Any]]:
    """Every agency for an admin; the officer's agency and its subtree for anyone else."""
    if s.has_any("admin"):
        return await api.get_json("catalog", "/agencies")
    if not s.agency_id:
        return []
    return await api.get_json("catalog", "/agencies", params={"under": s.agency_id})


def agency_options(agencies: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(id, label) in tree order, each label indented by its depth with full-width spaces (a select cannot nest)."""
    return [(node["id"], "　" * depth + node["name"]) for node, depth in flatten(agency_tree(agencies))]


def default_agency(agencies: list[dict[str, Any]], s: Session) -> str | None:
    """The officer's own agency when listed, else the tree's root."""
    ids = {a["id"] for a in agencies}
    if s.agency_id in ids:
        return s.agency_id
    root = county_root(agencies)
    return root["id"] if root else None


def parse_date(value: str | None) -> date | None:
    """A yyyy-mm-dd from a form, or None when empty; ValueError when malformed."""
    value = (value or "").strip()
    return date.fromisoformat(value) if value else None


def checked(value: Any) -> bool:
    return str(value or "").lower() in ("1", "true", "on", "yes")
