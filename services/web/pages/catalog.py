"""The 政府信息公开目录 (browse by category, topic and agency) and 信息检索 (words, 文号, facets), all GET forms."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backends import ApiProblem
from services.web.deps import Api, render
from services.web.listing import PAGE_SIZE, SORTS, Listing, chosen_filters, facet_groups, field_errors, pager
from services.web.trees import agency_tree, category_tree, facet_counts, flatten

router = APIRouter()


@router.get("/search", summary="信息检索：检索词、文号、分面筛选、翻页（公开）")
async def search(request: Request, api: Api) -> Response:
    listing = Listing.from_query(request.query_params)
    context = {"title": "信息检索", "listing": listing, "sorts": SORTS, "result": None, "errors": {}}
    if listing.searched or listing.filtered:
        try:
            result = await api.get_json("catalog", "/public/documents", params=listing.api_params())
        except ApiProblem as exc:
            if exc.status != 422:
                raise
            context["errors"] = field_errors(listing, exc.errors, exc.detail)
        else:
            context |= {
                "result": result,
                "facets": facet_groups(result["facets"], listing, "/search"),
                "chosen": chosen_filters(listing, "/search", result["facets"]),
                "pager": pager(listing, "/search", result["total"], PAGE_SIZE),
            }
    if listing.page > 1:
        context["title"] = f"信息检索（第{listing.page}页）"
    return render(request, "search.html", context)


@router.get("/catalog", summary="政府信息公开目录：按信息类别、主题分类、机关浏览（公开）")
async def catalog(request: Request, api: Api) -> Response:
    listing = Listing.from_query(request.query_params)
    listing = Listing(
        agency_id=listing.agency_id,
        category=listing.category,
        topic=listing.topic,
        year=listing.year,
        validity=listing.validity,
        page=listing.page,
    )  # browsing: no words, newest first
    counts_under = Listing(agency_id=listing.agency_id).api_params(size=1)
    categories, agencies, result, counted = await asyncio.gather(
        api.get_json("catalog", "/categories"),
        api.get_json("catalog", "/agencies"),
        api.get_json("catalog", "/public/documents", params=listing.api_params() | {"sort": "date"}),
        api.get_json("catalog", "/public/documents", params=counts_under),
    )
    names = {a["id"]: a["name"] for a in agencies} | {c["code"]: c["name"] for c in categories}
    return render(
        request,
        "catalog.html",
        {
            "title": "政府信息公开目录",
            "listing": listing,
            "result": result,
            "categories": flatten(category_tree(categories, facet_counts(counted["facets"]["category"]))),
            "topics": flatten(category_tree(categories, facet_counts(counted["facets"]["topic"]), kind="topic")),
            "agencies": flatten(agency_tree(agencies)),
            "chosen": chosen_filters(listing, "/catalog", result["facets"], names),
            "pager": pager(listing, "/catalog", result["total"], PAGE_SIZE),
        },
    )
