"""The 主动公开 work lists: the 保密审查 queue, the Art. 26 list of late publication, and the Art. 44 suggestions
(information given to several applicants, which a head or admin adopts by linking the published document, or dismisses
with reasons). Registered before documents.router: their paths would otherwise read as a document's id.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from services.web.backends import ApiProblem, Backends
from services.web.deps import Api, CheckedForm, PageError, redirect, render
from services.web.office.deps import OfficerSession, officer_with, problem_errors
from services.web.office.documents import MANAGERS, REVIEWERS, STATUS_LABELS, ReaderToken, find_published, is_id

router = APIRouter()
ManagerToken = Annotated[str, Depends(officer_with(*MANAGERS))]
SUGGESTION_STATES = {"open": "待处理", "adopted": "已转为主动公开", "dismissed": "不转为主动公开"}


@router.get("/office/documents/review", summary="保密审查待办：审查中的信息和待审修订（工作人员）")
async def review_queue(request: Request, api: Api, s: OfficerSession, token: ReaderToken, page: int = Query(1, ge=1, le=1000)) -> Response:
    listing = await api.get_json("catalog", "/documents", token=token, params={"awaiting_review": "true", "page": page, "size": 50})
    items = []
    for d in listing["items"]:
        revision = d["status"] == "published"
        own = s.sub in ((d.get("pending_revision_by"),) if revision else (d.get("author_sub"), d.get("submitted_by")))
        items.append(d | {"revision": revision, "own": own})
    pages = max(1, -(-int(listing["total"]) // 50))
    context = {
        "title": "保密审查待办",
        "items": items,
        "total": listing["total"],
        "page": page,
        "pages": pages,
        "can_review": s.has_any(*REVIEWERS),
    }
    return render(request, "office/documents/review.html", context)


@router.get("/office/documents/overdue", summary="逾期发布的信息（第二十六条，工作人员）")
async def overdue(request: Request, api: Api, s: OfficerSession, token: ReaderToken, year: str = Query("", max_length=4)) -> Response:
    chosen = int(year) if year.isdigit() and 2008 <= int(year) <= 2100 else None
    params = {"year": chosen} if chosen else {}
    found, agencies = await _overdue(api, token, params), await api.get_json("catalog", "/agencies")
    names = {a["id"]: a["name"] for a in agencies}
    items = [
        d | {"agency_name": names.get(d["agency_id"], ""), "status_name": STATUS_LABELS.get(d["status"], d["status"])}
        for d in found["items"]
    ]
    this_year = date.today().year
    context = {
        "title": "逾期发布的信息",
        "items": items,
        "today": found["today"],
        "year": chosen,
        "years": list(range(this_year, this_year - 6, -1)),
    }
    return render(request, "office/documents/overdue.html", context)


async def _overdue(api: Backends, token: str, params: dict[str, Any]) -> dict[str, Any]:
    return await api.get_json("catalog", "/documents/overdue", token=token, params=params)


# -- Art. 44 suggestions --------------------------------------------------------------------------------------


@router.get("/office/documents/suggestions", summary="建议转为主动公开的信息（第四十四条，工作人员）")
async def suggestions(
    request: Request, api: Api, s: OfficerSession, token: ReaderToken, status: str = Query("open", max_length=20)
) -> Response:
    status = status if status in SUGGESTION_STATES else "open"
    items, agencies = (
        await api.get_json("catalog", "/suggestions", token=token, params={"status": status}),
        await api.get_json("catalog", "/agencies"),
    )
    names = {a["id"]: a["name"] for a in agencies}
    context = {
        "title": "建议主动公开",
        "items": [i | {"agency_name": names.get(i["agency_id"], "")} for i in items],
        "status": status,
        "states": SUGGESTION_STATES,
        "can_decide": s.has_any(*MANAGERS),
    }
    return render(request, "office/documents/suggestions.html", context)


async def _suggestion(api: Backends, token: str, suggestion_id: str) -> dict[str, Any]:
    if not is_id(suggestion_id):
        raise PageError(404, "未找到", "建议不存在或已处理。")
    found = next(
        (i for i in await api.get_json("catalog", "/suggestions", token=token, params={"status": "open"}) if i["id"] == suggestion_id), None
    )
    if found is None:
        raise PageError(404, "未找到", "建议不存在或已处理。")
    return found


def _decision_page(request: Request, item: dict[str, Any], decision: str, values: dict[str, str], errors: dict[str, str]) -> Response:
    title = "转为主动公开" if decision == "adopt" else "不转为主动公开"
    context = {"title": title, "item": item, "decision": decision, "values": values, "errors": errors}
    return render(request, "office/documents/suggestion_decide.html", context, status_code=400 if errors else 200)


@router.get("/office/documents/suggestions/{suggestion_id}/{decision}", summary="处理第四十四条建议：确认页（负责人、管理员）")
async def decide_page(request: Request, suggestion_id: str, decision: str, api: Api, s: OfficerSession, token: ManagerToken) -> Response:
    if decision not in ("adopt", "dismiss"):
        raise PageError(404, "未找到", "没有这个操作。")
    return _decision_page(request, await _suggestion(api, token, suggestion_id), decision, {}, {})


@router.post("/office/documents/suggestions/{suggestion_id}/{decision}", summary="处理第四十四条建议（负责人、管理员）")
async def decide(
    request: Request, suggestion_id: str, decision: str, api: Api, s: OfficerSession, token: ManagerToken, form: CheckedForm
) -> Response:
    if decision not in ("adopt", "dismiss"):
        raise PageError(404, "未找到", "没有这个操作。")
    item = await _suggestion(api, token, suggestion_id)
    values = {"index_number": str(form.get("index_number") or "").strip()[:100], "note": str(form.get("note") or "").strip()[:2000]}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    if decision == "adopt":
        if not values["index_number"]:
            errors["index_number"] = "请填写已发布信息的索引号"
        else:
            document_id = await find_published(api, token, values["index_number"])
            if document_id is None:
                errors["index_number"] = "找不到该索引号的已发布信息"
            body = {"document_id": document_id}
    elif not values["note"]:
        errors["note"] = "请填写不转为主动公开的理由"
    else:
        body = {"note": values["note"]}
    if not errors:
        try:
            await api.post_json("catalog", f"/suggestions/{item['id']}/{decision}", body, token=token)
        except ApiProblem as problem:
            errors = problem_errors(problem, ("note",))
            if "document_id" in {str(e.get("field") or "").split(".")[-1] for e in problem.errors}:
                errors = {"index_number": problem.detail}
    if errors:
        return _decision_page(request, item, decision, values, errors)
    s.set_flash(notice="已记录：转为主动公开。" if decision == "adopt" else "已记录：不转为主动公开。")
    return redirect("/office/documents/suggestions")
