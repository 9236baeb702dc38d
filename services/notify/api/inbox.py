"""The caller's own site inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from shared.auth import Principal, current_principal
from shared.service import UoW

from services.notify.adapters.repository import InboxRepository

router = APIRouter(prefix="/inbox", tags=["站内信"])


class InboxMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


@router.get("", response_model=list[InboxMessageOut], summary="我的站内信（任何已登录用户，仅本人）")
async def my_inbox(
    uow: UoW,
    principal: Annotated[Principal, Depends(current_principal)],
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[InboxMessageOut]:
    messages = await InboxRepository(uow.session).for_recipient(principal.sub, unread_only=unread_only, limit=limit)
    return [InboxMessageOut.model_validate(m) for m in messages]
