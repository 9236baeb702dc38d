"""Webhook subscriptions for agency systems, and their delivery log."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import select

from services.notify.adapters.orm import WebhookDelivery, WebhookSubscription
from services.notify.adapters.webhook_http import WebhookPoster
from services.notify.domain.webhook_targets import TargetRefused
from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/webhooks", tags=["Webhook"])
Manager = Annotated[Principal, Depends(require(Role.admin, Role.head))]


class WebhookIn(BaseModel):
    url: HttpUrl
    event_types: list[str] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=50,
        description='事件类型，如 RequestReceived、AnswerDispatched；["*"] 表示全部',
    )
    agency_id: str | None = Field(default=None, description="机关 ID；系统管理员可留空以订阅全部机关")


def _view(sub: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "agency_id": sub.agency_id,
        "url": sub.url,
        "event_types": sub.event_types,
        "active": sub.active,
        "created_at": sub.created_at,
    }


async def _own(uow, principal: Principal, subscription_id: str) -> WebhookSubscription:
    sub = await uow.session.get(WebhookSubscription, subscription_id)
    if sub is None or not (principal.has_any(Role.admin) or sub.agency_id == principal.agency_id):
        raise Problem(404, "webhook_not_found", "订阅不存在")
    return sub


async def _vet(poster: WebhookPoster, url: str) -> None:
    """Refuse a URL whose host is, or now resolves to, a non-public address; an unresolvable name is checked again at send time."""
    try:
        await poster.vet(url)
    except TargetRefused as exc:
        raise Problem(422, "webhook_url_forbidden", str(exc)) from exc
    except LookupError:
        pass


@router.post(
    "",
    status_code=201,
    summary="新增 Webhook 订阅（系统管理员；工作机构负责人限本机关）",
    description="返回的 secret 只显示这一次：接收方用它验证 X-Webhook-Signature（HMAC-SHA256）。"
    "地址只能是 http 或 https 的公网地址；指向本机、内网、链路本地、保留或组播地址的订阅被拒绝（webhook_url_forbidden），"
    "每次投递前还会重新解析并检查，且不跟随重定向。",
)
async def create(body: WebhookIn, request: Request, uow: UoW, principal: Manager) -> dict[str, Any]:
    agency_id = body.agency_id
    if not principal.has_any(Role.admin):
        if agency_id not in (None, principal.agency_id):
            raise Problem(403, "forbidden_agency", "只能订阅本机关的事件")
        agency_id = principal.agency_id
    await _vet(request.app.state.webhook_poster, str(body.url))
    sub = WebhookSubscription(
        agency_id=agency_id, url=str(body.url), secret=secrets.token_urlsafe(32), event_types=body.event_types, created_by=principal.sub
    )
    uow.session.add(sub)
    await uow.session.flush()
    return {**_view(sub), "secret": sub.secret}


@router.get("", summary="Webhook 订阅列表（系统管理员；工作机构负责人限本机关）")
async def list_subscriptions(uow: UoW, principal: Manager) -> list[dict[str, Any]]:
    query = select(WebhookSubscription).order_by(WebhookSubscription.created_at)
    if not principal.has_any(Role.admin):
        query = query.where(WebhookSubscription.agency_id == principal.agency_id)
    return [_view(s) for s in (await uow.session.execute(query)).scalars()]


@router.delete("/{subscription_id}", status_code=204, summary="停用 Webhook 订阅（系统管理员；工作机构负责人限本机关）")
async def deactivate(subscription_id: str, uow: UoW, principal: Manager) -> None:
    (await _own(uow, principal, subscription_id)).active = False


@router.get("/{subscription_id}/deliveries", summary="Webhook 投递记录（系统管理员；工作机构负责人限本机关）")
async def deliveries(subscription_id: str, uow: UoW, principal: Manager) -> list[dict[str, Any]]:
    sub = await _own(uow, principal, subscription_id)
    rows = (
        await uow.session.execute(
            select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id).order_by(WebhookDelivery.created_at)
        )
    ).scalars()
    return [
        {
            "id": d.id,
            "event_id": d.event_id,
            "event_type": d.event_type,
            "status": d.status,
            "attempts": d.attempts,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "created_at": d.created_at,
            "delivered_at": d.delivered_at,
        }
        for d in rows
    ]
