"""监督考核 (政务公开办): timeliness over the officer's agency subtree, the overdue list, the annual report's preview,
downloads and publication, the 百分制 assessment with the items that cost points, and the audit log with search,
export and chain verification. Supervisors and admins only; audit decides what each of them may see.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, CheckedForm, PageError, redirect, render
from services.web.downloads import stream_download
from services.web.office.deps import OfficerSession, officer_with, problem_errors
from services.web.office.requests_labels import STATES
from services.web.office.scope import agencies_in_scope, agency_options, calendar_warning, checked, default_agency, parse_date
from services.web.session import Session

router = APIRouter()
SupervisorToken = Annotated[str, Depends(officer_with("supervisor", "admin"))]

REPORT_DOWNLOADS = {"html": "网页版（HTML）", "xlsx": "表格（Excel）", "csv": "表格（CSV）"}
AUDIT_EXPORTS = {"csv": "表格（CSV）", "jsonl": "逐行 JSON（JSONL）"}
AUDIT_PAGE = 50


def _num(value: Any) -> Any:
    """20.0 as 20, 37.5 as 37.5 (points read as people write them)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _this_year() -> int:
    return date.today().year


async def _scope(request: Request, api: Backends, s: Session, *, require_agency: bool) -> dict[str, Any]:
    """The agency choice of a supervision form: the agencies the officer may pick, the one asked for, and subtree."""
    agencies = await agencies_in_scope(api, s)
    ids = {a["id"] for a in agencies}
    asked = request.query_params.get("agency_id")
    if asked and asked not in ids:
        asked = None
    if not asked and (require_agency or not s.has_any("admin")):
        asked = default_agency(agencies, s)
    # The form sends a hidden "0" and, when ticked, the checkbox's "1"; with neither (a bare link) the subtree is included.
    sent = request.query_params.getlist("subtree")
    subtree = not sent or any(checked(v) for v in sent)
    return {"agencies": agencies, "agency_options": agency_options(agencies), "agency_id": asked or "", "subtree": subtree}


def _year(request: Request, default: int) -> tuple[int, str | None]:
    raw = (request.query_params.get("year") or "").strip()
    if not raw:
        return default, None
    if raw.isdigit() and 2008 <= int(raw) <= 2100:
        return int(raw), None
    return default, "年度应为 2008 至 2100 之间的四位数字"


def _params(**values: Any) -> dict[str, Any]:
    return {k: ("true" if v is True else "false" if v is False else v) for k, v in values.items() if v not in (None, "")}


async def _page(request: Request, api: Backends, template: str, context: dict[str, Any]) -> Response:
    context.setdefault("calendar_warning", await calendar_warning(api))
    return render(request, template, context)


@router.get("/office/supervision", summary="监督考核：办理时效与逾期未答复的申请（政务公开办、系统管理员）")
async def overview(request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    scope = await _scope(request, api, s, require_agency=False)
    errors: dict[str, str] = {}
    values = {name: (request.query_params.get(name) or "").strip() for name in ("since", "until", "today")}
    dates: dict[str, date | None] = {}
    for name, label in (("since", "统计起始日期"), ("until", "统计截止日期"), ("today", "逾期计算日")):
        try:
            dates[name] = parse_date(values[name])
        except ValueError:
            errors[name] = f"{label}格式应为“年-月-日”，如 2026-01-31"
            dates[name] = None
    if not errors and dates["since"] and dates["until"] and dates["since"] > dates["until"]:
        errors["until"] = "统计截止日期不能早于起始日期"
    timeliness = overdue = None
    if not errors:
        params = _params(
            agency_id=scope["agency_id"], subtree=scope["subtree"], since=values["since"], until=values["until"], today=values["today"]
        )
        try:
            timeliness = await api.get_json("audit", "/timeliness", token=token, params=params)
            overdue = await api.get_json(
                "audit",
                "/timeliness/overdue",
                token=token,
                params=_params(agency_id=scope["agency_id"], subtree=scope["subtree"], today=values["today"]),
            )
        except ApiProblem as problem:
            errors = problem_errors(problem, ("agency_id", "since", "until", "today"))
    return await _page(
        request,
        api,
        "office/supervision/overview.html",
        {
            "title": "监督考核",
            **scope,
            "values": values,
            "errors": errors,
            "timeliness": timeliness,
            "overdue": overdue,
            "states": STATES,
        },
    )


def _report_query(year: int, agency_id: str, subtree: bool) -> str:
    return urlencode({"year": year, "agency_id": agency_id, "subtree": "1" if subtree else "0"})


@router.get("/office/supervision/report", summary="年度报告预览与下载（政务公开办、系统管理员）")
async def report(request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    scope = await _scope(request, api, s, require_agency=True)
    year, year_error = _year(request, _this_year() - 1)
    errors = {"year": year_error} if year_error else {}
    tables = None
    published: list[dict[str, Any]] = []
    if not errors and scope["agency_id"]:
        params = {"year": year, "agency_id": scope["agency_id"], "subtree": scope["subtree"]}
        try:
            tables = await api.get_json("audit", "/reports/annual", token=token, params=_params(**params))
        except ApiProblem as problem:
            errors = problem_errors(problem, ("year", "agency_id"))
        published = [
            r
            for r in await api.get_json("audit", "/reports/published", params={"agency_id": scope["agency_id"], "year": year})
            if r["subtree"] == scope["subtree"]
        ]
    return await _page(
        request,
        api,
        "office/supervision/report.html",
        {
            "title": "年度报告",
            **scope,
            "year": year,
            "year_value": request.query_params.get("year") or str(year),
            "errors": errors,
            "tables": tables,
            "published": published,
            "downloads": REPORT_DOWNLOADS,
            "query": _report_query(year, scope["agency_id"], scope["subtree"]),
            "may_publish": year < _this_year(),
        },
    )


@router.get("/office/supervision/report/download/{fmt}", summary="下载年度报告（预览中的年度与机关；政务公开办、系统管理员）")
async def report_download(fmt: str, request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    if fmt not in REPORT_DOWNLOADS:
        raise PageError(404, "未找到", "没有这种下载格式。")
    scope = await _scope(request, api, s, require_agency=True)
    year, year_error = _year(request, _this_year() - 1)
    if year_error or not scope["agency_id"]:
        raise PageError(400, "请求有误", year_error or "请选择机关。")
    params = _params(year=year, agency_id=scope["agency_id"], subtree=scope["subtree"], format=fmt)
    return await stream_download(
        api, "audit", "/reports/annual", f"年度报告-{year}.{fmt}", params=params, headers={"Authorization": f"Bearer {token}"}
    )


async def _publish_context(request: Request, api: Backends, s: Session, params: Any) -> dict[str, Any]:
    agencies = await agencies_in_scope(api, s)
    names = {a["id"]: a["name"] for a in agencies}
    agency_id = str(params.get("agency_id") or "")
    if agency_id not in names:
        raise PageError(404, "未找到", "机关不存在或不在您的管辖范围内。")
    raw_year = str(params.get("year") or "")
    if not (raw_year.isdigit() and 2008 <= int(raw_year) <= 2100):
        raise PageError(400, "请求有误", "年度应为 2008 至 2100 之间的四位数字。")
    subtree = checked(params.get("subtree"))
    return {"year": int(raw_year), "agency_id": agency_id, "agency_name": names[agency_id], "subtree": subtree}


@router.get("/office/supervision/report/publish", summary="确认发布年度报告（政务公开办、系统管理员）")
async def publish_confirm(request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    target = await _publish_context(request, api, s, request.query_params)
    existing = [
        r
        for r in await api.get_json("audit", "/reports/published", params={"agency_id": target["agency_id"], "year": target["year"]})
        if r["subtree"] == target["subtree"]
    ]
    return await _page(
        request,
        api,
        "office/supervision/publish.html",
        {
            "title": "发布年度报告",
            **target,
            "existing": existing,
            "errors": {},
            "query": _report_query(target["year"], target["agency_id"], target["subtree"]),
        },
    )


@router.post("/office/supervision/report/publish", summary="发布年度报告（政务公开办、系统管理员）")
async def publish(request: Request, api: Api, s: OfficerSession, token: SupervisorToken, form: CheckedForm) -> Response:
    target = await _publish_context(request, api, s, form)
    body = {"year": target["year"], "agency_id": target["agency_id"], "subtree": target["subtree"]}
    try:
        await api.post_json("audit", "/reports/annual/published", body, token=token)
    except ApiProblem as problem:
        return render(
            request,
            "office/supervision/publish.html",
            {
                "title": "发布年度报告",
                **target,
                "existing": [],
                "errors": problem_errors(problem),
                "query": _report_query(target["year"], target["agency_id"], target["subtree"]),
                "calendar_warning": None,
            },
            status_code=400,
        )
    s.set_flash(notice=f"{target['agency_name']}{target['year']}年度政府信息公开工作年度报告已发布，公众可在年度报告栏目查看。")
    return redirect("/office/supervision/report?" + _report_query(target["year"], target["agency_id"], target["subtree"]))


@router.get("/office/supervision/assessment", summary="百分制考核与扣分项（政务公开办、系统管理员）")
async def assessment(request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    scope = await _scope(request, api, s, require_agency=True)
    year, year_error = _year(request, _this_year())
    errors = {"year": year_error} if year_error else {}
    result = None
    if not errors and scope["agency_id"]:
        try:
            result = await api.get_json(
                "audit", "/assessment", token=token, params=_params(year=year, agency_id=scope["agency_id"], subtree=scope["subtree"])
            )
        except ApiProblem as problem:
            errors = problem_errors(problem, ("year", "agency_id"))
    if result:
        result = {**result, "score": _num(result["score"]), "items": [{k: _num(v) for k, v in i.items()} for i in result["items"]]}
    lost = [i for i in (result or {}).get("items", []) if i["lost"] > 0]
    return await _page(
        request,
        api,
        "office/supervision/assessment.html",
        {
            "title": "考核",
            **scope,
            "year": year,
            "year_value": request.query_params.get("year") or str(year),
            "errors": errors,
            "result": result,
            "lost": lost,
        },
    )


_AUDIT_FIELDS = ("aggregate_id", "actor", "event_type", "since", "until")


def _audit_filters(request: Request, scope: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The form's values, the API's query and the errors by field (times as yyyy-mm-dd or yyyy-mm-ddThh:mm, Beijing time)."""
    values = {name: (request.query_params.get(name) or "").strip()[:128] for name in _AUDIT_FIELDS}
    errors: dict[str, str] = {}
    for name, label in (("since", "起始时间"), ("until", "截止时间")):
        if values[name]:
            try:
                datetime.fromisoformat(values[name])
            except ValueError:
                errors[name] = f"{label}格式应为“年-月-日”或“年-月-日T时:分”，如 2026-01-31"
    until = values["until"]
    if until and "T" not in until and not errors.get("until"):
        until += "T23:59:59"  # a date means the whole day
    query = _params(
        agency_id=scope["agency_id"],
        subtree=scope["subtree"] if scope["agency_id"] else None,
        aggregate_id=values["aggregate_id"],
        actor=values["actor"],
        event_type=values["event_type"],
        since=values["since"],
        until=until,
    )
    return values, query, errors


@router.get("/office/supervision/audit", summary="审计日志查询（政务公开办、系统管理员）")
async def audit_log(request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    scope = await _scope(request, api, s, require_agency=False)
    values, query, errors = _audit_filters(request, scope)
    after = request.query_params.get("after_seq") or "0"
    after_seq = int(after) if after.isdigit() else 0
    entries: list[dict[str, Any]] = []
    next_after = None
    if not errors:
        try:
            resp = await api.call("audit", "GET", "/entries", token=token, params={**query, "after_seq": after_seq, "limit": AUDIT_PAGE})
            entries = [
                {**e, "payload_text": json.dumps(e.get("payload"), ensure_ascii=False, indent=2, sort_keys=True)} for e in resp.json()
            ]
            next_after = resp.headers.get("x-next-after-seq")
        except ApiProblem as problem:
            errors = problem_errors(problem, _AUDIT_FIELDS)
    base_query = {**{k: v for k, v in values.items() if v}, "agency_id": scope["agency_id"], "subtree": "1" if scope["subtree"] else "0"}
    return await _page(
        request,
        api,
        "office/supervision/audit.html",
        {
            "title": "审计日志",
            **scope,
            "agency_names": {a["id"]: a["name"] for a in scope["agencies"]},
            "values": values,
            "errors": errors,
            "entries": entries,
            "searched": any(values.values()) or "agency_id" in request.query_params,
            "after_seq": after_seq,
            "next_query": urlencode({**base_query, "after_seq": next_after}) if next_after else None,
            "export_query": urlencode(base_query),
            "exports": AUDIT_EXPORTS,
        },
    )


@router.get("/office/supervision/audit/export/{fmt}", summary="导出审计日志（查询条件同上；政务公开办、系统管理员）")
async def audit_export(fmt: str, request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    if fmt not in AUDIT_EXPORTS:
        raise PageError(404, "未找到", "没有这种导出格式。")
    scope = await _scope(request, api, s, require_agency=False)
    _, query, errors = _audit_filters(request, scope)
    if errors:
        raise PageError(400, "请求有误", next(iter(errors.values())))
    return await stream_download(
        api, "audit", "/entries", f"审计日志.{fmt}", params={**query, "format": fmt}, headers={"Authorization": f"Bearer {token}"}
    )


@router.get("/office/supervision/audit/verify", summary="校验审计日志哈希链（政务公开办、系统管理员）")
async def audit_verify(request: Request, api: Api, s: OfficerSession, token: SupervisorToken) -> Response:
    result = await api.get_json("audit", "/verify", token=token)
    return await _page(request, api, "office/supervision/verify.html", {"title": "校验审计日志", "result": result})
