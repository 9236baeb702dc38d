"""站内信: the signed-in person's messages from the notify service, marked as read one by one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.deps import AccessToken, Api, CheckedForm, PageError, redirect, render
from services.web.myrequests import is_id

router = APIRouter()


@router.get("/inbox", summary="站内信（已登录者，仅本人）")
async def inbox(request: Request, api: Api, token: AccessToken) -> Response:
    messages = await api.get_json("notify", "/inbox", token=token, params={"limit": 100})
    unread = sum(1 for m in messages if not m.get("read_at"))
    return render(request, "inbox.html", {"title": "站内信", "messages": messages, "unread": unread})


@router.post("/inbox/{message_id}/read", summary="标记站内信为已读（已登录者，仅本人）")
async def mark_read(message_id: str, api: Api, token: AccessToken, form: CheckedForm) -> Response:
    if not is_id(message_id):
        raise PageError(404, "未找到", "没有找到这条站内信。")
    await api.post_json("notify", f"/inbox/{message_id}/read", token=token)
    return redirect(f"/inbox#message-{message_id}")
