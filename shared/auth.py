"""Bearer JWT authentication and role checks, declared per route.

Production verifies RS256 tokens signed by the identity service (its JWKS URL, keys cached
by `kid`, or a PEM public key); unit tests use HS256 with a dev secret, which production refuses.
Claims: `sub`, `roles` (list) or `role`, `agency_id` for officers, `exp`, optional `name`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from shared.errors import Problem
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


class Role(StrEnum):
    """Who a caller is. Officers belong to an agency; applicants and admins need not."""

    applicant = "applicant"  # 申请人（公民、法人或者其他组织）
    registrar = "registrar"  # 登记人员：代录信函、传真、当面申请
    handler = "handler"  # 承办人
    reviewer = "reviewer"  # 保密审查人
    head = "head"  # 工作机构负责人：批准延期
    supervisor = "supervisor"  # 政务公开办（监督本辖区）
    admin = "admin"  # 系统管理员
    service = "service"  # 本平台的其他服务（机器对机器，identity 以 client_credentials 签发），只开放明确允许它的接口


OFFICER_ROLES = frozenset({Role.registrar, Role.handler, Role.reviewer, Role.head, Role.supervisor, Role.admin})
# Officers who handle a request need the applicant's full identity and contacts; a supervisor,
# a reviewer or an officer of an agency above does not, and sees them masked.
FULL_PII_ROLES = frozenset({Role.registrar, Role.handler, Role.head})


_ROLE_RANK = {role.value: i for i, role in enumerate(Role)}


def role_rank(role: str) -> int:
    """A role's place in `Role`'s order, for listing roles the same way everywhere."""
    return _ROLE_RANK[role]


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

    def needs_to_know(self, agency_id: str | None) -> bool:
        """Whether this officer handles requests of `agency_id` (and so sees its applicants unmasked)."""
        return agency_id is not None and self.has_any(*FULL_PII_ROLES) and self.agency_id == agency_id

    @property
    def primary_role(self) -> Role:
        return sorted(self.roles, key=list(Role).index)[-1]


def unauthenticated(code: str, detail: str) -> Problem:
    """A 401 problem with the Bearer challenge every service sends."""
    return Problem(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="gov-disclosure"'})


_Sub = Annotated[str, StringConstraints(strict=True, strip_whitespace=False, min_length=1, max_length=128, pattern=r"^[^\s]+$")]
_AgencyId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=36, pattern=r"^[^\s]+$")]


class _Claims(BaseModel):
    """The claims every service reads, validated once: wrong shapes are a 401, never a 500."""

    model_config = ConfigDict(extra="ignore", strict=True)

    sub: _Sub
    roles: list[str] | None = None
    role: str | None = None
    agency_id: _AgencyId | None = None
    name: Annotated[str, StringConstraints(strict=True, max_length=100)] | None = None


class JwksCache:
    """An issuer's public keys by `kid`, fetched asynchronously and kept for `lifespan` seconds.

    An unknown `kid` (the issuer just rotated) triggers one refetch, at most every
    `min_refetch` seconds, so a flood of forged kids cannot turn into a flood of fetches.
    """

    def __init__(self, url: str, *, lifespan: float = 300.0, min_refetch: float = 5.0, timeout: float = 5.0) -> None:
        self.url = url
        self.lifespan = lifespan
        self.min_refetch = min_refetch
        self.timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            resp = await client.get(self.url)
            resp.raise_for_status()
            keys = resp.json().get("keys", [])
        found: dict[str, Any] = {}
        for jwk in keys:
            if isinstance(jwk, dict) and jwk.get("kty") == "RSA" and isinstance(jwk.get("kid"), str):
                found[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        self._keys = found
        self._fetched_at = time.monotonic()

    async def key(self, kid: str) -> Any | None:
        now = time.monotonic()
        if kid in self._keys and now - self._fetched_at < self.lifespan:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            stale = now - self._fetched_at >= self.lifespan
            if stale or (kid not in self._keys and now - self._fetched_at >= self.min_refetch):
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError, jwt.PyJWKError) as exc:
                    log.warning("cannot fetch the key set from %s: %r", self.url, exc)
                    if stale:
                        # Keep verifying with the keys we had rather than lock everyone out.
                        self._fetched_at = now - self.lifespan + self.min_refetch
            return self._keys.get(kid)


KeyResolver = Callable[[str], Any]


class TokenVerifier:
    """Verifies bearer tokens according to the service settings (or a key resolver of its own)."""

    def __init__(self, settings: ServiceSettings, key_resolver: KeyResolver | None = None) -> None:
        self.settings = settings
        self._resolver = key_resolver
        self._jwks = JwksCache(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._algorithm = "RS256" if key_resolver else settings.jwt_algorithm

    async def _key_for(self, token: str) -> Any:
        if self._algorithm == "HS256":
            return self.settings.jwt_secret.get_secret_value()
        if self.settings.jwt_public_key and not self._resolver:
            return self.settings.jwt_public_key
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise unauthenticated("token_invalid", "登录凭证无效") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise unauthenticated("token_invalid", "登录凭证缺少签名密钥标识（kid）")
        key = self._resolver(kid) if self._resolver else await self._jwks.key(kid) if self._jwks else None
        if key is None:
            raise unauthenticated("token_invalid", "登录凭证的签名密钥未知或已停用")
        return key

    async def verify(self, token: str) -> Principal:
        """Return the principal of a valid token, or raise a 401 Problem."""
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                await self._key_for(token),
                algorithms=[self._algorithm],
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                leeway=s.jwt_leeway_seconds,
                options={"require": ["exp", "sub"], "verify_aud": s.jwt_audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthenticated("token_expired", "登录凭证已过期，请重新登录") from exc
        except jwt.InvalidTokenError as exc:
            raise unauthenticated("token_invalid", "登录凭证无效") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The typed principal of verified claims; any claim of the wrong shape is a 401."""
    try:
        parsed = _Claims.model_validate(claims)
    except ValidationError as exc:
        fields = "、".join(dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e.get("loc")))
        raise unauthenticated("token_invalid", f"登录凭证中的声明格式不正确：{fields}") from exc
    raw_roles = parsed.roles if parsed.roles is not None else ([parsed.role] if parsed.role else [])
    try:
        roles = frozenset(Role(r) for r in raw_roles)
    except ValueError as exc:
        raise unauthenticated("token_invalid", "登录凭证中的角色无效") from exc
    if not roles:
        raise unauthenticated("token_invalid", "登录凭证未包含角色")
    if roles & (OFFICER_ROLES - {Role.admin}) and not parsed.agency_id:
        raise unauthenticated("token_invalid", "工作人员的登录凭证必须包含所属机关（agency_id）")
    return Principal(sub=parsed.sub, roles=roles, agency_id=parsed.agency_id, name=parsed.name)


_bearer = HTTPBearer(auto_error=False, description="政务身份认证签发的 JWT；本地开发用 `make token` 生成")


async def current_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The authenticated caller; 401 without a valid bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthenticated("token_missing", "缺少登录凭证（Authorization: Bearer）")
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting callers that hold at least one of `roles`; 403 otherwise."""
    allowed = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.roles & allowed:
            names = "、".join(sorted(r.value for r in allowed))
            raise Problem(403, "forbidden_role", f"当前角色无权执行此操作（允许的角色：{names}）")
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(r.value for r in allowed))
    return dependency


def issue_dev_token(
    settings: ServiceSettings,
    *,
    sub: str,
    roles: list[str],
    agency_id: str | None = None,
    ttl_seconds: int = 8 * 3600,
    name: str | None = None,
    **claims: Any,
) -> str:
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
    return jwt.encode(body, settings.jwt_secret.get_secret_value(), algorithm="HS256")
