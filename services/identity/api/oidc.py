"""Officers' single sign-on through the county's OpenID Connect provider (authorization code + PKCE).

The browser goes to `authorize` and is sent on to the provider; the provider sends it back to the
web service's own redirect URI with `code` and `state`, and the web service's backend POSTs
those here (server to server, JSON), receiving the session tokens to keep in its own cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from services.identity.api.deps import Keys, Settings
from services.identity.api.schemas import TokenOut
from services.identity.service.oidc import begin, finish
from services.identity.service.sessions import start_session
from shared.service import UoW

router = APIRouter(tags=["工作人员单点登录"])


class CallbackIn(BaseModel):
    code: str = Field(min_length=1, max_length=2048)
    state: str = Field(min_length=1, max_length=64)


@router.get("/oidc/{provider}/authorize", status_code=302, summary="开始单点登录：跳转到本县的认证系统（公开）")
async def authorize(
    provider: str,
    request: Request,
    uow: UoW,
    settings: Settings,
    redirect_uri: str = Query(max_length=500, description="认证系统登录后带回 code 与 state 的地址"),
) -> RedirectResponse:
    url = await begin(uow, request.app.state.oidc, settings, provider, redirect_uri)
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


@router.post("/oidc/{provider}/callback", summary="完成单点登录：以认证系统带回的 code 与 state 换取会话（公开；state 只能用一次）")
async def callback(provider: str, body: CallbackIn, request: Request, uow: UoW, keys: Keys, settings: Settings) -> TokenOut:
    account, agency_id = await finish(uow, request.app.state.oidc, settings, provider, code=body.code, state=body.state)
    return TokenOut.of(await start_session(uow, keys, settings, account, methods="oidc", agency_id=agency_id))
