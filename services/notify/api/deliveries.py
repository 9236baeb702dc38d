"""Delivery status per message: officers' proof that a notice was served."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from services.notify.adapters.orm import Notification
from services.notify.domain.delivery import mask_address
from shared.auth import OFFICER_ROLES, Principal, Role, require
from shared.logging import mask_pii
from shared.service import UoW

router = APIRouter(prefix="/deliveries", tags=["送达记录"])
Officer = Annotated[Principal, Depends(require(*OFFICER_ROLES))]


@router.get(
    "",
    summary="某申请的通知送达记录（本机关工作人员、系统管理员）",
    description="每条通知的渠道、状态、尝试次数、服务商回执（邮寄为邮件号）或失败原因；手机号、邮箱、邮寄地址已脱敏。",
)
async def deliveries(request_id: str, uow: UoW, principal: Officer) -> list[dict[str, Any]]:
    query = select(Notification).where(Notification.request_id == request_id)
    if not principal.has_any(Role.admin):
        query = query.where(Notification.agency_id == principal.agency_id)
    rows = (await uow.session.execute(query.order_by(Notification.created_at, Notification.channel))).scalars()
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "channel": n.channel,
            "statutory": n.statutory,
            "recipient": n.recipient,
            "address": mask_address(n.address) if n.channel == "post" else mask_pii(n.address),
            "status": n.status,
            "attempts": n.attempts,
            "provider_message_id": n.provider_message_id,
            "last_error": n.last_error,
            "created_at": n.created_at,
            "sent_at": n.sent_at,
        }
        for n in rows
    ]
