"""The post list: statutory notices to mail to recipients with no account, e-mail or mobile, and recording the mailing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.notify.adapters.orm import Notification
from services.notify.domain.delivery import mask_address
from services.notify.service import post
from shared.auth import Principal, Role, require
from shared.bounds import BoundedDate
from shared.logging import mask_pii
from shared.service import UoW

router = APIRouter(prefix="/post", tags=["邮寄送达"])
PostOfficer = Annotated[Principal, Depends(require(Role.registrar, Role.handler, Role.head, Role.admin))]
Mailer = Annotated[Principal, Depends(require(Role.registrar, Role.handler, Role.head))]
# Registrars and handlers put the letters in the envelope and need the whole address; heads and admins oversee.
FULL_ADDRESS_ROLES = (Role.registrar, Role.handler)


class PostedIn(BaseModel):
    tracking_number: str = Field(min_length=5, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="挂号信或 EMS 邮件号")
    posted_on: BoundedDate = Field(description="交寄日期")


def _view(n: Notification, principal: Principal) -> dict[str, Any]:
    full = principal.has_any(*FULL_ADDRESS_ROLES)
    return {
        "id": n.id,
        "request_id": n.request_id,
        "agency_id": n.agency_id,
        "kind": n.kind,
        "recipient": n.recipient,
        "addressee": n.addressee,
        "address": n.address if full else mask_address(mask_pii(n.address)),
        "address_missing": not n.address.strip(),
        "subject": n.subject,
        "body": n.body,
        "status": n.status,
        "tracking_number": n.provider_message_id,
        "posted_on": n.posted_on,
        "posted_by": n.posted_by,
        "created_at": n.created_at,
    }


@router.get(
    "",
    summary="待邮寄通知清单（本机关及下级机关的登记人员、承办人、工作机构负责人；系统管理员）",
    description="没有站内信账号、电子邮箱和手机号的申请人或第三方，法定告知以信函邮寄。登记人员、承办人可见完整地址，其他角色地址脱敏。",
)
async def list_letters(
    uow: UoW,
    principal: PostOfficer,
    status: Literal["to_post", "sent", "all"] = "to_post",
    request_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    rows = await post.letters(uow.session, principal, status=None if status == "all" else status, request_id=request_id, limit=limit)
    return [_view(n, principal) for n in rows]


@router.post(
    "/{notification_id}/posted",
    summary="登记已邮寄（本机关及下级机关的登记人员、承办人、工作机构负责人）",
    description="记录邮件号和交寄日期作为送达凭证，通知状态改为已发送并发出 NotificationDelivered 事件。",
)
async def mark_posted(notification_id: str, body: PostedIn, request: Request, uow: UoW, principal: Mailer) -> dict[str, Any]:
    today = request.app.state.today()
    n = await post.mark_posted(uow, principal, notification_id, tracking_number=body.tracking_number, posted_on=body.posted_on, today=today)
    return _view(n, principal)
