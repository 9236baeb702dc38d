"""Bearer JWT authentication and role checks, declared per route.

Production verifies RS256 tokens from the county's identity provider (a PEM public key
or a JWKS URL); local runs and tests use HS256 with a dev secret (`make token`).
Claims: `sub`, `roles` (list) or `role`, `agency_id` for officers, `exp`, optional `name`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Problem
from shared.settings import ServiceSettings


class Role(StrEnum):
    """Who a caller is. Officers belong to an agency; applicants and admins need not."""

    applicant = "applicant"  # 申请人（公民、法人或者其他组织）
    registrar = "registrar"  # 登记人员：代录信函、传真、当面申请
    handler = "handler"  # 承办人
    reviewer = "reviewer"  # 保密审查人
    head = "head"  # 工作机构负责人：批准延期
    supervisor = "supervisor"  # 政务公开办（监督本辖区）
    admin = "admin"  # 系统管理员


OFFICER_ROLES = frozenset({Role.registrar, Role.handler, Role.reviewer, Role.head, Role.supervisor, Role.admin})


@dataclass(frozen=True)
class Principal:
    """The verified caller of a request."""

    sub: str
    roles: frozenset[Role]
    agency_id: str | None = None
    name: str | None = None

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_officer(self) -> bool:
        return bool(self.roles & OFFICER_ROLES)

    @property
    def primary_role(self) -> Role:
        return sorted(self.roles, key=list(Role).index)[-1]


def _unauthenticated(code: str, detail: str) -> Problem:
    return Problem(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="gov-disclosure"'})


class TokenVerifier:
    """Verifies bearer tokens according to the service settings."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=3600) if settings.jwt_jwks_url else None

    async def _key_for(self, token: str) -> Any:
        if self.settings.jwt_algorithm == "HS256":
            return self.settings.jwt_secret
        if self.settings.jwt_public_key:
            return self.settings.jwt_public_key
        assert self._jwks is not None
        try:
            # PyJWKClient fetches over blocking urllib; keep it off the event loop.
            return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
        except jwt.PyJWKClientError as exc:
            raise _unauthenticated("token_invalid", "无法验证登录凭证的签名密钥") from exc

    async def verify(self, token: str) -> Principal:
        """Return the principal of a valid token, or raise a 401 Problem."""
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                await self._key_for(token),
                algorithms=[s.jwt_algorithm],
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                leeway=s.jwt_leeway_seconds,
                options={"require": ["exp", "sub"], "verify_aud": s.jwt_audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _unauthenticated("token_expired", "登录凭证已过期，请重新登录") from exc
        except jwt.InvalidTokenError as exc:
            raise _unauthenticated("token_invalid", "登录凭证无效") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    raw_roles = claims.get("roles") or ([claims["role"]] if claims.get("role") else [])
    try:
        roles = frozenset(Role(r) for r in raw_roles)
    except ValueError as exc:
        raise _unauthenticated("token_invalid", "登录凭证中的角色无效") from exc
    if not roles:
        raise _unauthenticated("token_invalid", "登录凭证未包含角色")
    agency_id = claims.get("agency_id")
    if roles & (OFFICER_ROLES - {Role.admin}) and not agency_id:
        raise _unauthenticated("token_invalid", "工作人员的登录凭证必须包含所属机关（agency_id）")
    return Principal(sub=str(claims["sub"]), roles=roles, agency_id=agency_id, name=claims.get("name"))


_bearer = HTTPBearer(auto_error=False, description="政务身份认证签发的 JWT；本地开发用 `make token` 生成")


async def current_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The authenticated caller; 401 without a valid bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthenticated("token_missing", "缺少登录凭证（Authorization: Bearer）")
    principal = await request.app.state.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require(*roles: Role):
    """A dependency admitting callers that hold at least one of `roles`; 403 otherwise."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.roles & allowed:
            names = "、".join(sorted(r.value for r in allowed))
            raise Problem(403, "forbidden_role", f"当前角色无权执行此操作（允许的角色：{names}）")
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(r.value for r in allowed))
    return dependency


def issue_dev_token(settings: ServiceSettings, *, sub: str, roles: list[str], agency_id: str | None = None, ttl_seconds: int = 8 * 3600, name: str | None = None, **claims: Any) -> str:
    """Sign an HS256 token with the dev secret: for local runs and tests only."""
    if settings.environment == "production":
        raise RuntimeError("生产环境不签发开发令牌")
    now = int(time.time())
    body: dict[str, Any] = {"sub": sub, "roles": roles, "iat": now, "exp": now + ttl_seconds, **claims}
    if agency_id:
        body["agency_id"] = agency_id
    if name:
        body["name"] = name
    if settings.jwt_issuer:
        body["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        body["aud"] = settings.jwt_audience
    return jwt.encode(body, settings.jwt_secret, algorithm="HS256")
