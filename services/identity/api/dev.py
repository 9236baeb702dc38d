"""`make token` against the running system: tokens of any role, signed by this service's key.

Only where `IDENTITY_DEV_TOKENS=true` (which production refuses at start-up) and only for callers
on this machine; elsewhere the route answers 404 as if it did not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.identity.api.deps import Keys, Settings, client_ip
from services.identity.service.sessions import Grant, access_claims
from shared.auth import OFFICER_ROLES, Role
from shared.errors import Problem

router = APIRouter(tags=["开发"], include_in_schema=False)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class DevTokenIn(BaseModel):
    sub: str = Field(min_length=1, max_length=128, pattern=r"^\S+$")
    roles: list[Role] = Field(min_length=1)
    agency_id: str | None = Field(None, min_length=1, max_length=36)
    name: str | None = Field(None, max_length=100)
    ttl_seconds: int = Field(8 * 3600, ge=60, le=24 * 3600)


class DevTokenOut(BaseModel):
    access_token: str


@router.post("/dev/tokens")
async def dev_token(body: DevTokenIn, request: Request, keys: Keys, settings: Settings) -> DevTokenOut:
    if not settings.dev_tokens or settings.environment == "production" or client_ip(request) not in _LOOPBACK:
        raise Problem(404, "not_found", "请求的资源不存在")
    if set(body.roles) & (OFFICER_ROLES - {Role.admin}) and not body.agency_id:
        raise Problem(422, "agency_required", "工作人员令牌需要所属机关（agency_id）")
    kind = "officer" if set(body.roles) & OFFICER_ROLES else "citizen"
    grant = Grant(body.sub, kind, [r.value for r in body.roles], body.agency_id, body.name)
    claims = access_claims(settings.model_copy(update={"access_token_ttl_seconds": body.ttl_seconds}), grant, "dev")
    return DevTokenOut(access_token=keys.sign(claims))
