"""Shapes shared by the sign-in routers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.identity.service.sessions import TokenPair


class AccountOut(BaseModel):
    id: str = Field(description="账号标识，即令牌的 sub（内部 ID，不是 openid 或手机号）")
    kind: str = Field(description="citizen（公众）、officer（工作人员）或 service（本平台的其他服务）")
    roles: list[str]
    agency_id: str | None = None
    name: str | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="访问令牌有效秒数")
    refresh_token: str = Field(description="刷新令牌：只能使用一次，每次刷新换发新的")
    refresh_expires_in: int
    account: AccountOut

    @classmethod
    def of(cls, pair: TokenPair) -> TokenOut:
        g = pair.grant
        return cls(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
            refresh_expires_in=pair.refresh_expires_in,
            account=AccountOut(id=g.sub, kind=g.kind, roles=g.roles, agency_id=g.agency_id, name=g.name),
        )


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=20, max_length=200)
