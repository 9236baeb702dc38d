"""系统管理: agencies as a tree with their 指南, categories, the working-day calendar, and officers with their roles.

Admins keep everything; a head keeps the 指南 and the officers of their own agency subtree and is never
offered the admin role. The pages offer only that; the APIs decide, and their Chinese refusal is shown.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, CheckedForm, PageError, redirect, render
from services.web.office.deps import ROLE_LABELS, OfficerSession, officer_with, problem_errors
from services.web.office.scope import agencies_in_scope, agency_options, calendar_warning
from services.web.session import Session
from services.web.trees import AGENCY_KINDS, agency_tree, flatten

router = APIRouter()
KeeperToken = Annotated[str, Depends(officer_with("admin", "head"))]
AdminToken = Annotated[str, Depends(officer_with("admin"))]

CHANNELS = {"online": "网上申请", "letter": "信函申请", "in_person": "当面申请", "fax": "传真申请", "email": "电子邮件申请"}
CATEGORY_KINDS = {"category": "信息类别", "topic": "主题分类"}
REPORT_CLASSES = {
    "": "不计入年度报告表二",
    "regulation": "规章",
    "normative_document": "行政规范性文件",
    "administrative_license": "行政许可",
    "administrative_penalty": "行政处罚",
    "administrative_coercion": "行政强制",
    "administrative_fee": "行政事业性收费",
    "other": "其他",
}
STATUS_LABELS = {"active": "在用", "disabled": "已停用"}
OFFICER_PAGE = 20
MEMBERSHIP_ROWS_NEW = 2  # blank rows offered on the form for further agencies


def _q(value: str) -> str:
    return quote(value, safe="")


def grantable_roles(s: Session) -> dict[str, str]:
    """The roles this officer may grant: an admin all of them, a head all but admin (identity's rule)."""
    return {k: v for k, v in ROLE_LABELS.items() if k != "admin" or s.has_any("admin")}


async def _page(request: Request, api: Backends, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    context.setdefault("calendar_warning", await calendar_warning(api))
    return render(request, template, context, status_code=status_code)


@router.get("/office/admin", summary="系统管理首页（系统管理员；机关负责人限本机关及下级）")
async def home(request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    return await _page(request, api, "office/admin/home.html", {"title": "系统管理", "is_admin": s.has_any("admin")})


# ---------------------------------------------------------------- agencies and guides

_AGENCY_FIELDS = ("name", "kind", "parent_id", "credit_code", "phone", "address", "website")


def _agency_values(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in _AGENCY_FIELDS}


def _agency_body(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "请填写机关全称"
    if values["kind"] not in AGENCY_KINDS:
        errors["kind"] = "请选择机关类型"
    body: dict[str, Any] = {"name": values["name"][:100], "kind": values["kind"], "parent_id": values["parent_id"] or None}
    for name in ("credit_code", "phone", "address", "website"):
        body[name] = values[name][:200] or None
    return body, errors


async def _agencies_page(
    request: Request, api: Backends, s: Session, *, values: dict | None = None, errors: dict | None = None, status_code: int = 200
) -> Response:
    agencies = await agencies_in_scope(api, s)
    return await _page(
        request,
        api,
        "office/admin/agencies.html",
        {
            "title": "机关与指南",
            "rows": flatten(agency_tree(agencies)),
            "agency_options": agency_options(agencies),
            "kinds": AGENCY_KINDS,
            "is_admin": s.has_any("admin"),
            "values": values or {"kind": "department"},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/office/admin/agencies", summary="机关树（系统管理员可新增；负责人可见本机关及下级）")
async def agencies(request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    return await _agencies_page(request, api, s)


@router.post("/office/admin/agencies", summary="新增机关（系统管理员）")
async def create_agency(request: Request, api: Api, s: OfficerSession, token: AdminToken, form: CheckedForm) -> Response:
    values = _agency_values(form)
    body, errors = _agency_body(values)
    if not errors:
        try:
            created = await api.post_json("catalog", "/agencies", body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, _AGENCY_FIELDS)
    if errors:
        return await _agencies_page(request, api, s, values=values, errors=errors, status_code=400)
    s.set_flash(notice=f"已新增机关“{created['name']}”。其他服务同步后即可为其设置工作人员。")
    return redirect("/office/admin/agencies")


async def _agency(api: Backends, agency_id: str) -> dict[str, Any]:
    try:
        return await api.get_json("catalog", f"/agencies/{_q(agency_id)}")
    except ApiProblem as problem:
        if problem.status in (404, 422):
            raise PageError(404, "未找到", "机关不存在。") from None
        raise


@router.get("/office/admin/agencies/{agency_id}", summary="修改机关信息（系统管理员）")
async def agency_page(agency_id: str, request: Request, api: Api, s: OfficerSession, token: AdminToken) -> Response:
    agency = await _agency(api, agency_id)
    values = {name: agency.get(name) or "" for name in _AGENCY_FIELDS}
    return await _agency_form(request, api, s, agency, values, {})


async def _agency_form(
    request: Request, api: Backends, s: Session, agency: dict, values: dict, errors: dict, status_code: int = 200
) -> Response:
    agencies = await agencies_in_scope(api, s)
    # Not under itself or its own subtree (catalog refuses a cycle; the choice is not offered).
    node = next((n for n, _ in flatten(agency_tree(agencies)) if n["id"] == agency["id"]), None)
    below = {n["id"] for n, _ in flatten([node])} if node else {agency["id"]}
    options = [(i, label) for i, label in agency_options(agencies) if i not in below]
    return await _page(
        request,
        api,
        "office/admin/agency.html",
        {
            "title": f"修改机关：{agency['name']}",
            "agency": agency,
            "values": values,
            "errors": errors,
            "kinds": AGENCY_KINDS,
            "agency_options": options,
        },
        status_code=status_code,
    )


@router.post("/office/admin/agencies/{agency_id}", summary="修改机关信息（系统管理员）")
async def update_agency(agency_id: str, request: Request, api: Api, s: OfficerSession, token: AdminToken, form: CheckedForm) -> Response:
    agency = await _agency(api, agency_id)
    values = _agency_values(form)
    body, errors = _agency_body(values)
    if not errors:
        try:
            await api.call("catalog", "PATCH", f"/agencies/{_q(agency_id)}", json=body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, _AGENCY_FIELDS)
    if errors:
        return await _agency_form(request, api, s, agency, values, errors, status_code=400)
    s.set_flash(notice=f"已保存机关“{body['name']}”的信息。")
    return redirect("/office/admin/agencies")


_GUIDE_FIELDS = ("office", "address", "postcode", "hours", "phone", "fax", "email", "website", "scope")


@router.get("/office/admin/agencies/{agency_id}/guide", summary="编制或修改政府信息公开指南（本机关负责人、系统管理员）")
async def guide_page(agency_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    agency = await _agency(api, agency_id)
    try:
        guide = await api.get_json("catalog", f"/agencies/{_q(agency_id)}/guide")
    except ApiProblem as problem:
        if problem.code != "guide_not_found":
            raise
        guide = None
    values: dict[str, Any] = {name: (guide or {}).get(name) or "" for name in _GUIDE_FIELDS}
    values["channels"] = [c["code"] for c in (guide or {}).get("channels", [])] or ["online", "letter", "in_person"]
    values["version"] = str((guide or {}).get("version") or "")
    return await _page(
        request,
        api,
        "office/admin/guide.html",
        {
            "title": f"指南：{agency['name']}",
            "agency": agency,
            "values": values,
            "errors": {},
            "channels": CHANNELS,
            "exists": guide is not None,
        },
    )


@router.post("/office/admin/agencies/{agency_id}/guide", summary="保存政府信息公开指南（本机关负责人、系统管理员）")
async def save_guide(agency_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken, form: CheckedForm) -> Response:
    agency = await _agency(api, agency_id)
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in _GUIDE_FIELDS}
    values["channels"] = [c for c in form.getlist("channels") if c in CHANNELS]
    values["version"] = str(form.get("version") or "")
    errors: dict[str, str] = {}
    for name, label in (("office", "政府信息公开工作机构"), ("address", "办公地址"), ("hours", "办公时间"), ("phone", "咨询电话")):
        if not values[name]:
            errors[name] = f"请填写{label}"
    if not values["channels"]:
        errors["channels"] = "请至少选择一种申请渠道"
    if not errors:
        body = {name: values[name] or None for name in _GUIDE_FIELDS} | {"channels": values["channels"]}
        headers = {"If-Match": f'"{values["version"]}"'} if values["version"].isdigit() else {}
        try:
            await api.call("catalog", "PUT", f"/agencies/{_q(agency_id)}/guide", json=body, token=token, headers=headers)
        except ApiProblem as problem:
            errors = problem_errors(problem, (*_GUIDE_FIELDS, "channels"))
    if errors:
        context = {
            "title": f"指南：{agency['name']}",
            "agency": agency,
            "values": values,
            "errors": errors,
            "channels": CHANNELS,
            "exists": bool(values["version"]),
        }
        return await _page(request, api, "office/admin/guide.html", context, status_code=400)
    s.set_flash(notice=f"已保存{agency['name']}的政府信息公开指南，公开网站即时更新。")
    return redirect("/office/admin/agencies")


# ---------------------------------------------------------------- categories

_CATEGORY_FIELDS = ("code", "name", "kind", "parent_code", "report_class", "sort")


async def _categories_page(
    request: Request, api: Backends, values: dict | None = None, errors: dict | None = None, status_code: int = 200
) -> Response:
    categories = await api.get_json("catalog", "/categories")
    groups = {kind: [c for c in categories if c["kind"] == kind] for kind in CATEGORY_KINDS}
    names = {c["code"]: c["name"] for c in categories}
    return await _page(
        request,
        api,
        "office/admin/categories.html",
        {
            "title": "分类",
            "groups": groups,
            "names": names,
            "kinds": CATEGORY_KINDS,
            "report_classes": REPORT_CLASSES,
            "parent_options": [(c["code"], f"{CATEGORY_KINDS[c['kind']]}：{c['name']}") for c in categories if c["kind"] in CATEGORY_KINDS],
            "values": values or {"kind": "category", "sort": "0"},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/office/admin/categories", summary="信息类别与主题分类（系统管理员）")
async def categories(request: Request, api: Api, s: OfficerSession, token: AdminToken) -> Response:
    return await _categories_page(request, api)


@router.post("/office/admin/categories", summary="新增分类（系统管理员）")
async def create_category(request: Request, api: Api, s: OfficerSession, token: AdminToken, form: CheckedForm) -> Response:
    values = {name: str(form.get(name) or "").strip() for name in _CATEGORY_FIELDS}
    errors: dict[str, str] = {}
    if not values["code"]:
        errors["code"] = "请填写代码"
    if not values["name"]:
        errors["name"] = "请填写名称"
    if values["kind"] not in CATEGORY_KINDS:
        errors["kind"] = "请选择种类"
    if values["sort"] and not values["sort"].isdigit():
        errors["sort"] = "排序应为不小于 0 的整数"
    if not errors:
        body = {
            "code": values["code"][:40],
            "name": values["name"][:60],
            "kind": values["kind"],
            "parent_code": values["parent_code"] or None,
            "report_class": values["report_class"] or None,
            "sort": int(values["sort"] or 0),
        }
        try:
            await api.post_json("catalog", "/categories", body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, _CATEGORY_FIELDS)
    if errors:
        return await _categories_page(request, api, values, errors, status_code=400)
    s.set_flash(notice=f"已新增{CATEGORY_KINDS[values['kind']]}“{values['name']}”。")
    return redirect("/office/admin/categories")


# ---------------------------------------------------------------- the working-day calendar

DAY_KINDS = {"holiday": "放假", "adjusted_workday": "调休上班", "workday": "上班（周末）", "weekend": "周末"}
SOURCES = {"official": "国务院公布（系统内置）", "admin": "管理员录入并已确认", "weekends_only": "尚未公布：暂按周末计算"}


def _year_param(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and 2004 <= int(raw) <= 2100 else default


async def _calendar_page(
    request: Request, api: Backends, year: int, values: dict | None = None, errors: dict | None = None, status_code: int = 200
) -> Response:
    notice = await api.get_json("requests", "/calendar-notice")
    year_data = await api.get_json("requests", f"/calendar/{year}")
    today = date.fromisoformat(str(notice["today"]))
    return await _page(
        request,
        api,
        "office/admin/calendar.html",
        {
            "title": f"{year}年工作日历",
            "year": year,
            "data": year_data,
            "sources": SOURCES,
            "day_kinds": DAY_KINDS,
            "years": list(range(today.year - 1, today.year + 3)),
            "values": values or {"workday": "false"},
            "errors": errors or {},
            "calendar_warning": notice.get("warning"),
        },
        status_code=status_code,
    )


@router.get("/office/admin/calendar", summary="工作日历：法定节假日与调休（系统管理员）")
async def calendar_page(request: Request, api: Api, s: OfficerSession, token: AdminToken, year: str | None = None) -> Response:
    notice = await api.get_json("requests", "/calendar-notice")
    this_year = date.fromisoformat(str(notice["today"])).year
    return await _calendar_page(request, api, _year_param(year, this_year))


@router.post("/office/admin/calendar/days", summary="录入或更正某一日放假或上班（系统管理员）")
async def set_day(request: Request, api: Api, s: OfficerSession, token: AdminToken, form: CheckedForm) -> Response:
    values = {name: str(form.get(name) or "").strip() for name in ("day", "workday", "note")}
    year = _year_param(str(form.get("year") or ""), date.today().year)
    errors: dict[str, str] = {}
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        errors["day"] = "请填写日期，格式为“年-月-日”，如 2027-01-01"
    if values["workday"] not in ("true", "false"):
        errors["workday"] = "请选择该日放假还是上班"
    if not errors:
        body = {"workday": values["workday"] == "true", "note": values["note"][:100]}
        try:
            await api.call("requests", "PUT", f"/calendar/days/{day.isoformat()}", json=body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("day", "workday", "note"))
    if errors:
        return await _calendar_page(request, api, year, values, errors, status_code=400)
    kind = "上班" if values["workday"] == "true" else "放假"
    s.set_flash(notice=f"已将{day.year}年{day.month}月{day.day}日设为{kind}。已受理申请的答复期限已按新日历重新计算。")
    return redirect(f"/office/admin/calendar?year={day.year}")


@router.post("/office/admin/calendar/days/{day}/clear", summary="撤销对某一日的更正（系统管理员）")
async def clear_day(day: str, request: Request, api: Api, s: OfficerSession, token: AdminToken, form: CheckedForm) -> Response:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise PageError(404, "未找到", "日期格式不正确。") from None
    await api.call("requests", "DELETE", f"/calendar/days/{parsed.isoformat()}", token=token)
    s.set_flash(notice=f"已撤销对{parsed.year}年{parsed.month}月{parsed.day}日的更正。")
    return redirect(f"/office/admin/calendar?year={parsed.year}")


@router.get("/office/admin/calendar/{year}/announce", summary="确认某年放假安排已全部录入：确认页（系统管理员）")
async def announce_confirm(year: int, request: Request, api: Api, s: OfficerSession, token: AdminToken) -> Response:
    if not 2004 <= year <= 2100:
        raise PageError(404, "未找到", "年度超出范围。")
    data = await api.get_json("requests", f"/calendar/{year}")
    return await _page(
        request,
        api,
        "office/admin/announce.html",
        {"title": f"确认{year}年放假安排", "year": year, "data": data, "day_kinds": DAY_KINDS, "errors": {}},
    )


@router.post("/office/admin/calendar/{year}/announce", summary="确认某年放假安排已全部录入（系统管理员）")
async def announce(year: int, request: Request, api: Api, s: OfficerSession, token: AdminToken, form: CheckedForm) -> Response:
    if not 2004 <= year <= 2100:
        raise PageError(404, "未找到", "年度超出范围。")
    await api.post_json("requests", f"/calendar/years/{year}/announce", None, token=token)
    s.set_flash(notice=f"已确认{year}年放假安排录入完毕：跨入{year}年的答复期限不再标为“暂定”。")
    return redirect(f"/office/admin/calendar?year={year}")


# ---------------------------------------------------------------- officers and roles


def _names(agencies: list[dict[str, Any]]) -> dict[str, str]:
    return {a["id"]: a["name"] for a in agencies}


@router.get("/office/admin/officers", summary="工作人员名录（系统管理员；负责人限本机关及下级）")
async def officers(
    request: Request,
    api: Api,
    s: OfficerSession,
    token: KeeperToken,
    agency_id: str = "",
    status: str = "",
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    agencies = await agencies_in_scope(api, s)
    names = _names(agencies)
    agency_id = agency_id if agency_id in names else ""
    status = status if status in STATUS_LABELS else ""
    params: dict[str, Any] = {"page": page, "page_size": OFFICER_PAGE}
    if agency_id:
        params["agency_id"] = agency_id
    elif not s.has_any("admin") and s.agency_id:
        params["agency_id"] = s.agency_id
    if status:
        params["status"] = status
    listing = await api.get_json("identity", "/officers", token=token, params=params)
    pages = max(1, -(-int(listing["total"]) // OFFICER_PAGE))
    query = {k: v for k, v in (("agency_id", agency_id), ("status", status)) if v}
    return await _page(
        request,
        api,
        "office/admin/officers.html",
        {
            "title": "工作人员与角色",
            "items": listing["items"],
            "total": listing["total"],
            "page": page,
            "pages": pages,
            "page_query": urlencode(query),
            "names": names,
            "roles": ROLE_LABELS,
            "statuses": STATUS_LABELS,
            "agency_options": agency_options(agencies),
            "agency_id": agency_id,
            "status": status,
        },
    )


def _membership_rows(form: FormData, count: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        rows.append({"agency_id": str(form.get(f"agency_{i}") or ""), "roles": [str(r) for r in form.getlist(f"roles_{i}")]})
    return rows


def _memberships(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Rows with an agency and roles; a row with an agency and no role is that membership removed."""
    found: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if not row["agency_id"]:
            if row["roles"]:
                errors[f"agency_{i}"] = "请选择授予这些角色的机关"
            continue
        if row["agency_id"] in seen:
            errors[f"agency_{i}"] = "同一机关只能出现一次，请合并为一项"
            continue
        seen.add(row["agency_id"])
        if row["roles"]:
            found.append({"agency_id": row["agency_id"], "roles": row["roles"]})
    if not found and not errors:
        errors["agency_0"] = "请至少在一个机关授予一个角色；不再任职请停用该工作人员"
    return found, errors


async def _officer_form(
    request: Request,
    api: Backends,
    s: Session,
    *,
    officer: dict | None,
    values: dict,
    rows: list[dict[str, Any]],
    errors: dict,
    status_code: int = 200,
) -> Response:
    agencies = await agencies_in_scope(api, s)
    names = _names(agencies)
    # Memberships outside the keeper's scope are shown, not editable (identity would refuse the whole change).
    rows = list(rows) + [{"agency_id": "", "roles": []} for _ in range(MEMBERSHIP_ROWS_NEW)]
    return await _page(
        request,
        api,
        "office/admin/officer.html",
        {
            "title": f"工作人员：{officer['name']}" if officer else "新增工作人员",
            "officer": officer,
            "values": values,
            "rows": rows,
            "errors": errors,
            "names": names,
            "agency_options": agency_options(agencies),
            "roles": grantable_roles(s),
            "all_roles": ROLE_LABELS,
            "statuses": STATUS_LABELS,
            "is_admin": s.has_any("admin"),
        },
        status_code=status_code,
    )


def _person_values(form: FormData) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in ("name", "email", "mobile", "version")}


def _person_errors(values: dict[str, str]) -> dict[str, str]:
    return {"name": "请填写姓名"} if not values["name"] else {}


@router.get("/office/admin/officers/new", summary="新增工作人员（系统管理员；负责人限本机关及下级）")
async def new_officer(request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    first = {"agency_id": s.agency_id or "", "roles": []}
    return await _officer_form(request, api, s, officer=None, values={}, rows=[first], errors={})


def _officer_submission(form: FormData) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, Any], dict[str, str]]:
    """A directory entry's form, new or edited: what was typed, the membership rows, identity's body and the errors by field."""
    values = _person_values(form)
    count = min(int(str(form.get("rows") or "0")) if str(form.get("rows") or "").isdigit() else 0, 50)
    rows = _membership_rows(form, count)
    memberships, errors = _memberships(rows)
    body = {"name": values["name"][:50], "email": values["email"] or None, "mobile": values["mobile"] or None, "memberships": memberships}
    return values, rows, body, _person_errors(values) | errors


@router.post("/office/admin/officers", summary="新增工作人员（系统管理员；负责人限本机关及下级，不得授予系统管理员）")
async def create_officer(request: Request, api: Api, s: OfficerSession, token: KeeperToken, form: CheckedForm) -> Response:
    values, rows, body, errors = _officer_submission(form)
    if not errors:
        try:
            created = await api.post_json("identity", "/officers", body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("name", "email", "mobile"))
    if errors:
        filled = [r for r in rows if r["agency_id"] or r["roles"]] or [{"agency_id": "", "roles": []}]
        return await _officer_form(request, api, s, officer=None, values=values, rows=filled, errors=errors, status_code=400)
    s.set_flash(notice=f"已新增工作人员“{created['name']}”。请为其设置本地账号密码，或关联单点登录账号。")
    return redirect(f"/office/admin/officers/{_q(created['id'])}")


async def _officer(api: Backends, token: str, officer_id: str) -> dict[str, Any]:
    try:
        return await api.get_json("identity", f"/officers/{_q(officer_id)}", token=token)
    except ApiProblem as problem:
        if problem.status in (404, 422):
            raise PageError(404, "未找到", problem.detail) from None
        raise


@router.get("/office/admin/officers/{officer_id}", summary="工作人员详情与角色（系统管理员；负责人限本机关及下级）")
async def officer_page(officer_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    officer = await _officer(api, token, officer_id)
    values = {
        "name": officer["name"],
        "email": officer.get("email") or "",
        "mobile": officer.get("mobile") or "",
        "version": str(officer["version"]),
    }
    rows = [{"agency_id": m["agency_id"], "roles": m["roles"]} for m in officer["memberships"]]
    return await _officer_form(request, api, s, officer=officer, values=values, rows=rows, errors={})


@router.post("/office/admin/officers/{officer_id}", summary="修改工作人员信息与角色（带版本；负责人不得授予系统管理员）")
async def update_officer(officer_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken, form: CheckedForm) -> Response:
    officer = await _officer(api, token, officer_id)
    values, rows, body, errors = _officer_submission(form)
    if not errors:
        headers = {"If-Match": f'"{values["version"]}"'} if values["version"].isdigit() else {}
        try:
            await api.call("identity", "PATCH", f"/officers/{_q(officer_id)}", json=body, token=token, headers=headers)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("name", "email", "mobile"))
    if errors:
        filled = [r for r in rows if r["agency_id"] or r["roles"]]
        return await _officer_form(request, api, s, officer=officer, values=values, rows=filled, errors=errors, status_code=400)
    s.set_flash(notice=f"已保存“{values['name']}”的信息和角色。其正在使用的会话在下次刷新时按新角色生效。")
    return redirect(f"/office/admin/officers/{_q(officer_id)}")


@router.get("/office/admin/officers/{officer_id}/status", summary="停用或启用工作人员：确认页")
async def status_confirm(officer_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    officer = await _officer(api, token, officer_id)
    return await _page(
        request,
        api,
        "office/admin/status.html",
        {"title": "停用或启用工作人员", "officer": officer, "names": _names(await agencies_in_scope(api, s)), "errors": {}},
    )


@router.post("/office/admin/officers/{officer_id}/status", summary="停用或启用工作人员（带版本）")
async def set_status(officer_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken, form: CheckedForm) -> Response:
    officer = await _officer(api, token, officer_id)
    action = "disable" if officer["status"] == "active" else "enable"
    version = str(form.get("version") or "")
    body = {"version": int(version)} if version.isdigit() else None
    try:
        await api.post_json("identity", f"/officers/{_q(officer_id)}/{action}", body, token=token)
    except ApiProblem as problem:
        context = {
            "title": "停用或启用工作人员",
            "officer": officer,
            "names": _names(await agencies_in_scope(api, s)),
            "errors": problem_errors(problem),
        }
        return await _page(request, api, "office/admin/status.html", context, status_code=400)
    done = "已停用" if action == "disable" else "已重新启用"
    s.set_flash(notice=f"{done}工作人员“{officer['name']}”。")
    return redirect(f"/office/admin/officers/{_q(officer_id)}")


@router.get("/office/admin/officers/{officer_id}/password", summary="设置或重置本地账号密码（系统管理员；负责人限本机关及下级）")
async def password_page(officer_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken) -> Response:
    officer = await _officer(api, token, officer_id)
    return await _page(
        request, api, "office/admin/local_password.html", {"title": "设置本地账号密码", "officer": officer, "values": {}, "errors": {}}
    )


@router.post("/office/admin/officers/{officer_id}/password", summary="设置或重置本地账号密码（系统管理员；负责人限本机关及下级）")
async def set_password(officer_id: str, request: Request, api: Api, s: OfficerSession, token: KeeperToken, form: CheckedForm) -> Response:
    officer = await _officer(api, token, officer_id)
    values = {"username": str(form.get("username") or "").strip()}
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "请填写登录用户名"
    if not password:
        errors["password"] = "请填写初始密码"
    elif password != again:
        errors["password_again"] = "两次填写的密码不一致"
    answer: dict[str, Any] = {}
    if not errors:
        body = {"username": values["username"][:64], "password": password[:256]}
        try:
            answer = (await api.call("identity", "PUT", f"/officers/{_q(officer_id)}/local-password", json=body, token=token)).json()
        except ApiProblem as problem:
            errors = problem_errors(problem, ("username", "password"))
    if errors:
        context = {"title": "设置本地账号密码", "officer": officer, "values": values, "errors": errors}
        return await _page(request, api, "office/admin/local_password.html", context, status_code=400)
    if answer.get("otpauth_uri"):
        # Shown once, on this answer only (never put in a redirect or the session): the admin enrols it now.
        context = {"title": "登记动态口令", "officer": officer, "username": values["username"], "otpauth_uri": answer["otpauth_uri"]}
        return await _page(request, api, "office/admin/otpauth.html", context)
    s.set_flash(
        notice=f"已为“{officer['name']}”设置本地账号（用户名 {values['username']}）。请当面或经另一渠道告知初始密码，并要求其登录后修改。"
    )
    return redirect(f"/office/admin/officers/{_q(officer_id)}")
