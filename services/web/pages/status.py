"""办理查询: a request's progress by 受理编号 and 查询码, without signing in (POST, so the code stays out of URLs and logs)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backends import ApiProblem
from services.web.deps import Api, CheckedForm, client_ip, render

router = APIRouter()


def check(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    if not values["tracking_number"]:
        errors["tracking_number"] = "请填写受理编号"
    elif not 5 <= len(values["tracking_number"]) <= 40:
        errors["tracking_number"] = "受理编号格式不正确，例如 2026-3F9A1C-00042"
    if not values["query_code"]:
        errors["query_code"] = "请填写查询码"
    elif not 6 <= len(values["query_code"]) <= 16:
        errors["query_code"] = "查询码格式不正确：为提交申请时显示的 8 位字母和数字"
    return errors


@router.get("/status", summary="办理进度查询（公开）")
async def status_page(request: Request) -> Response:
    return render(request, "status.html", {"title": "办理进度查询", "values": {}, "errors": {}, "result": None})


@router.post("/status", summary="凭受理编号和查询码查询办理进度（公开）")
async def lookup(request: Request, api: Api, form: CheckedForm) -> Response:
    values = {name: str(form.get(name) or "").strip() for name in ("tracking_number", "query_code")}
    errors, result = check(values), None
    if not errors:
        try:
            result = await api.post_json("requests", "/public/status", values, client_ip=client_ip(request))
        except ApiProblem as problem:
            # A wrong code and a lockout (429, with the wait) concern the code; a malformed number, the number.
            field = "tracking_number" if any(e.get("field") == "tracking_number" for e in problem.errors) else "query_code"
            errors = {field: problem.detail if problem.status != 422 else "受理编号或查询码格式不正确"}
    return render(
        request,
        "status.html",
        {"title": "办理进度查询", "values": values, "errors": errors, "result": result},
        status_code=400 if errors else 200,
    )
