"""适老化 display modes: large text and high contrast, kept in a cookie, switched by a plain form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.deps import DISPLAY_MODES, CheckedForm, redirect, safe_next

router = APIRouter()


@router.post("/display", summary="切换显示模式（公开）")
async def switch_display(request: Request, form: CheckedForm) -> Response:
    mode = str(form.get("mode", "standard"))
    response = redirect(safe_next(str(form.get("next") or "/")))
    if mode not in DISPLAY_MODES:
        mode = "standard"
    response.set_cookie(
        "display", mode, max_age=365 * 24 * 3600, path="/", httponly=True, samesite="lax", secure=request.app.state.settings.secure_cookies
    )
    return response
