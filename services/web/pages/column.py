"""The 政府信息公开 column's front: the home page, the 公开指南 (county and agencies), each agency's column page."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, PageError, render
from services.web.trees import agency_tree, county_root, flatten

router = APIRouter()


async def optional(api: Backends, service: str, path: str, **kwargs: Any) -> Any:
    """The API's answer, or None when it says 404 (an agency without a guide yet)."""
    try:
        return await api.get_json(service, path, **kwargs)
    except ApiProblem as exc:
        if exc.status == 404:
            return None
        raise


async def agency_or_404(api: Backends, agency_id: str) -> dict[str, Any]:
    agency = await optional(api, "catalog", f"/agencies/{agency_id}")
    if agency is None:
        raise PageError(404, "机关不存在", "您访问的机关不存在，请从公开指南或公开目录重新进入。")
    return agency


@router.get("/", summary="首页（公开）")
async def home(request: Request, api: Api) -> Response:
    agencies, latest = await asyncio.gather(
        api.get_json("catalog", "/agencies"), api.get_json("catalog", "/public/documents", params={"size": 8, "sort": "date"})
    )
    return render(request, "home.html", {"title": "首页", "agencies": flatten(agency_tree(agencies)), "latest": latest["items"]})


@router.get("/guide", summary="政府信息公开指南：本县及各机关（公开）")
async def county_guide(request: Request, api: Api) -> Response:
    agencies = await api.get_json("catalog", "/agencies")
    county = county_root(agencies)
    guide = await optional(api, "catalog", f"/agencies/{county['id']}/guide") if county else None
    return render(
        request,
        "guide.html",
        {"title": "政府信息公开指南", "agency": county, "guide": guide, "county_page": True, "agencies": flatten(agency_tree(agencies))},
    )


@router.get("/guide/{agency_id}", summary="某机关的政府信息公开指南（公开）")
async def agency_guide(agency_id: str, request: Request, api: Api) -> Response:
    agency = await agency_or_404(api, agency_id)
    guide = await optional(api, "catalog", f"/agencies/{agency_id}/guide")
    return render(
        request,
        "guide.html",
        {"title": f"{agency['name']}政府信息公开指南", "agency": agency, "guide": guide, "county_page": False, "agencies": []},
    )


@router.get("/agencies/{agency_id}", summary="机关的政府信息公开栏目：指南、目录、最新信息、联系方式（公开）")
async def agency_column(agency_id: str, request: Request, api: Api) -> Response:
    agency = await agency_or_404(api, agency_id)
    guide, under, latest, reports = await asyncio.gather(
        optional(api, "catalog", f"/agencies/{agency_id}/guide"),
        api.get_json("catalog", "/agencies", params={"under": agency_id}),
        api.get_json("catalog", "/public/documents", params={"agency_id": agency_id, "size": 10, "sort": "date"}),
        api.get_json("audit", "/reports/published", params={"agency_id": agency_id}),
    )
    parent = await optional(api, "catalog", f"/agencies/{agency['parent_id']}") if agency.get("parent_id") else None
    children = [node for node, _ in flatten(agency_tree(under)) if node["id"] != agency_id]
    return render(
        request,
        "agency.html",
        {
            "title": agency["name"],
            "agency": agency,
            "guide": guide,
            "parent": parent,
            "children": children,
            "latest": latest,
            "reports": reports,
        },
    )
