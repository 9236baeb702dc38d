"""Refresh, logout and who-am-I: the session endpoints every way in shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.identity.api.deps import Keys, Settings
from services.identity.api.schemas import AccountOut, RefreshIn, TokenOut
from services.identity.service.sessions import end_session, refresh_session
from shared.auth import Principal, Role, current_principal
from shared.service import UoW

router = APIRouter(tags=["会话"])


@router.post("/token/refresh", summary="用刷新令牌换发访问令牌（公开；刷新令牌只能用一次）")
async def refresh(body: RefreshIn, uow: UoW, keys: Keys, settings: Settings) -> TokenOut:
    return TokenOut.of(await refresh_session(uow, keys, settings, body.refresh_token))


@router.post("/logout", status_code=204, summary="退出登录：撤销该刷新令牌所在的整组会话（公开）")
async def logout(body: RefreshIn, uow: UoW) -> Response:
    await end_session(uow, body.refresh_token)
    return Response(status_code=204)


@router.get("/me", summary="当前登录者（任何已登录者）")
async def me(principal: Annotated[Principal, Depends(current_principal)]) -> AccountOut:
    kind = "officer" if principal.is_officer else "service" if principal.has_any(Role.service) else "citizen"
    return AccountOut(
        id=principal.sub, kind=kind, roles=sorted(r.value for r in principal.roles), agency_id=principal.agency_id, name=principal.name
    )
