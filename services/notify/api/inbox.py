"""The caller's site inbox (站内信), including the mailboxes of the roles they hold in their agency."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, or_, select

from services.notify.adapters.orm import InboxMessage
from shared.auth import Principal, current_principal
from shared.db import utcnow
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/inbox", tags=["站内信"])
Caller = Annotated[Principal, Depends(current_principal)]


class InboxMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


def mailboxes(principal: Principal) -> list[tuple[str, str]]:
    """The caller's own mailbox and, for officers, their agency's mailbox for each role they hold, as (kind, key) pairs."""
    boxes = [("user", principal.sub)]
    if principal.is_officer and principal.agency_id:
        boxes += [("role", f"role:{principal.agency_id}:{role.value}") for role in principal.roles]
    return boxes


def _in_mailboxes(principal: Principal):
    return or_(*(and_(InboxMessage.recipient_kind == kind, InboxMessage.recipient_sub == key) for kind, key in mailboxes(principal)))


@router.get("", response_model=list[InboxMessageOut], summary="我的站内信（任何已登录用户，仅本人及本人角色的信箱）")
async def my_inbox(
    uow: UoW, principal: Caller, unread_only: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[InboxMessageOut]:
    query = select(InboxMessage).where(_in_mailboxes(principal))
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    rows = (await uow.session.execute(query.order_by(InboxMessage.created_at.desc()).limit(limit))).scalars()
    return [InboxMessageOut.model_validate(m) for m in rows]


@router.post("/{message_id}/read", response_model=InboxMessageOut, summary="标记为已读（任何已登录用户，仅本人信箱）")
async def mark_read(message_id: str, uow: UoW, principal: Caller) -> InboxMessageOut:
    message = await uow.session.get(InboxMessage, message_id)
    if message is None or (message.recipient_kind, message.recipient_sub) not in mailboxes(principal):
        raise Problem(404, "message_not_found", "消息不存在")
    message.read_at = message.read_at or utcnow()
    return InboxMessageOut.model_validate(message)
