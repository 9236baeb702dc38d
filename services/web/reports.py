"""The published annual reports as the column lists them: by year, filtered by year and agency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOWNLOADS = {"html": "网页版（HTML）", "xlsx": "表格（Excel）", "csv": "表格（CSV）"}
MONTHS = [f"{m}月" for m in range(1, 13)]


def choose(params: Mapping[str, Any], published: list[dict[str, Any]]) -> tuple[int | None, str | None]:
    """The year and agency asked for, kept only if some published report has them."""
    years = {r["year"] for r in published}
    agencies = {r["agency_id"] for r in published}
    try:
        year: int | None = int(str(params.get("year") or ""))
    except ValueError:
        year = None
    agency_id = params.get("agency_id")
    return (year if year in years else None), (agency_id if agency_id in agencies else None)


def by_year(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest year first; within a year the county's summary report first, then agencies by name."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for r in sorted(reports, key=lambda r: (-r["year"], not r["subtree"], r["agency_name"])):
        groups.setdefault(r["year"], []).append(r)
    return [{"year": year, "reports": items} for year, items in groups.items()]


def report_options(published: list[dict[str, Any]]) -> dict[str, list[tuple[Any, str]]]:
    """The choices of the filter form: the years and agencies that have a published report."""
    years = sorted({r["year"] for r in published}, reverse=True)
    agencies = sorted({(r["agency_id"], r["agency_name"]) for r in published}, key=lambda a: a[1])
    return {"year_options": [(y, f"{y}年") for y in years], "agency_options": agencies}
