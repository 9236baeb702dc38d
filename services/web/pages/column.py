"""The 政府信息公开 column: the county's and each agency's guide, catalog, search, documents, annual reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.deps import Api, render

router = APIRouter()


@router.get("/", summary="首页（公开）")
async def home(request: Request, api: Api) -> Response:
    agencies = await api.get_json("catalog", "/agencies")
    latest = await api.get_json("catalog", "/public/documents", params={"limit": 10})
    return render(request, "home.html", {"title": "首页", "agencies": agencies, "latest": latest})
