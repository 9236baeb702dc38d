"""The 政府信息公开工作年度报告: the published reports by year and agency, each in the site's frame, and its downloads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backends import ApiProblem
from services.web.deps import Api, PageError, render
from services.web.downloads import stream_download
from services.web.reports import DOWNLOADS, by_year, choose, report_options

router = APIRouter()


def not_found() -> PageError:
    return PageError(404, "年度报告不存在", "您查找的年度报告不存在或尚未发布，请从年度报告栏目重新进入。")


@router.get("/reports", summary="政府信息公开工作年度报告（公开）")
async def reports(request: Request, api: Api) -> Response:
    published = await api.get_json("audit", "/reports/published")
    year, agency_id = choose(request.query_params, published)
    shown = [r for r in published if (year is None or r["year"] == year) and (agency_id is None or r["agency_id"] == agency_id)]
    return render(
        request,
        "reports.html",
        {"title": "政府信息公开工作年度报告", "groups": by_year(shown), "year": year, "agency_id": agency_id, **report_options(published)},
    )


@router.get("/reports/{report_id}", summary="年度报告全文（公开）")
async def report(report_id: str, request: Request, api: Api) -> Response:
    try:
        body = await api.get_json("audit", f"/reports/published/{report_id}")
    except ApiProblem as exc:
        raise not_found() if exc.status in (404, 422) else exc from None
    return render(request, "report.html", {"title": body["title"], "report": body, "downloads": DOWNLOADS})


@router.get("/reports/{report_id}/download/{fmt}", summary="下载年度报告（公开）")
async def download(report_id: str, fmt: str, api: Api) -> Response:
    if fmt not in DOWNLOADS:
        raise not_found()
    try:
        return await stream_download(api, "audit", f"/reports/published/{report_id}", f"年度报告.{fmt}", params={"format": fmt})
    except ApiProblem as exc:
        raise not_found() if exc.status in (404, 422) else exc from None
