"""Dependencies shared by the requests routers."""

from __future__ import annotations

from datetime import date

from fastapi import Request

from services.requests.adapters.orm import DisclosureRequest
from services.requests.adapters.repository import RequestRepository
from services.requests.service.access import can_see, not_found
from shared.auth import Principal
from shared.errors import Problem
from shared.uow import UnitOfWork


def today(request: Request) -> date:
    """The county's calendar date (Asia/Shanghai by default); tests may pin it."""
    return request.app.state.today()


def etag(r: DisclosureRequest) -> str:
    return f'"{r.id}.{r.version}"'


def check_if_match(request: Request, r: DisclosureRequest) -> None:
    """Optimistic concurrency: a stale If-Match gets 412 and changes nothing."""
    expected = request.headers.get("if-match")
    if expected and expected.strip() not in ("*", etag(r), etag(r).strip('"')):
        raise Problem(412, "stale_version", "申请已被他人修改，请刷新后重试", current_version=r.version)


async def visible_request(uow: UnitOfWork, principal: Principal, request_id: str) -> DisclosureRequest:
    """The request if the caller may see it; 404 otherwise (existence is not revealed)."""
    r = await RequestRepository(uow.session).get(request_id)
    if r is None or not await can_see(uow.session, principal, r):
        raise not_found()
    return r
