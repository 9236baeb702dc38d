"""Sessions: every way in ends here, in a short-lived access token and a rotating refresh token.

Refresh tokens are opaque, stored as SHA-256 hashes, and used once: each use returns a new one
in the same family. Presenting a used one means it was stolen (or replayed), so the whole family
is revoked and both holders must sign in again (OAuth 2.0 Security BCP, refresh token rotation).
Claims are recomputed from the account and the officer directory at every refresh, so a role
taken away or an officer disabled stops working within one access-token lifetime.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.identity.adapters.orm import Account, RefreshToken
from services.identity.adapters.repository import AccountRepository, OfficerRepository, RefreshTokenRepository
from services.identity.service.keys import KeyRing
from services.identity.settings import IdentitySettings
from shared.auth import Role, role_rank, unauthenticated
from shared.db import new_id, utcnow
from shared.errors import Problem
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Grant:
    """What a token says about its holder."""

    sub: str
    kind: str  # citizen | officer (a service's token has no Grant: see service_tokens.py)
    roles: list[str]
    agency_id: str | None
    name: str | None


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    grant: Grant


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def grant_for(uow: UnitOfWork, account: Account, agency_id: str | None) -> Grant:
    """The roles an account holds now, for the agency its session is for; 403 when it may not sign in."""
    if account.status != "active":
        raise Problem(403, "account_disabled", "该账号已停用，请联系本单位系统管理员")
    if account.kind == "citizen":
        return Grant(account.id, "citizen", [Role.applicant.value], None, account.display_name)
    officers = OfficerRepository(uow.session)
    officer = await officers.get(account.id)
    if officer is None or officer.status != "active":
        raise Problem(403, "account_disabled", "该工作人员已停用，请联系本单位系统管理员")
    memberships: dict[str, list[str]] = {}
    for row in await officers.roles(account.id):
        memberships.setdefault(row.agency_id, []).append(row.role)
    if not memberships:
        raise Problem(403, "officer_without_roles", "该工作人员尚未被授予任何机关的角色")
    if agency_id is None:
        agency_id = sorted(memberships)[0]
    if agency_id not in memberships:
        raise Problem(403, "agency_not_granted", "该工作人员在所选机关没有角色")
    return Grant(account.id, "officer", sorted(memberships[agency_id], key=role_rank), agency_id, officer.name)


def token_claims(settings: IdentitySettings, *, sub: str, roles: list[str], kind: str, ttl_seconds: int) -> dict[str, Any]:
    """The claims every access token of this issuer carries, people's and services' alike."""
    now = int(time.time())
    return {
        "iss": settings.issuer,
        "aud": settings.token_audience,
        "sub": sub,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": new_id(),
        "roles": roles,
        "kind": kind,
    }


def access_claims(settings: IdentitySettings, grant: Grant, methods: str) -> dict[str, Any]:
    claims = token_claims(settings, sub=grant.sub, roles=grant.roles, kind=grant.kind, ttl_seconds=settings.access_token_ttl_seconds)
    claims["amr"] = methods.split("+")
    if grant.agency_id:
        claims["agency_id"] = grant.agency_id
    if grant.name:
        claims["name"] = grant.name
    return claims


async def start_session(
    uow: UnitOfWork,
    keyring: KeyRing,
    settings: IdentitySettings,
    account: Account,
    *,
    methods: str,
    agency_id: str | None = None,
    family_id: str | None = None,
) -> TokenPair:
    """Issue an access token and a new refresh token (of a new family unless one is given)."""
    if account.id is None:  # a new account: its id comes with the INSERT
        await uow.session.flush()
    grant = await grant_for(uow, account, agency_id)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    RefreshTokenRepository(uow.session).add(
        RefreshToken(
            family_id=family_id or new_id(),
            account_id=account.id,
            token_hash=hash_token(raw),
            agency_id=grant.agency_id,
            methods=methods,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    access = keyring.sign(access_claims(settings, grant, methods))
    return TokenPair(access, settings.access_token_ttl_seconds, raw, settings.refresh_token_ttl_seconds, grant)


async def refresh_session(uow: UnitOfWork, keyring: KeyRing, settings: IdentitySettings, raw: str) -> TokenPair:
    """Rotate a refresh token; reuse of a spent one revokes its family (committed before the 401)."""
    tokens = RefreshTokenRepository(uow.session)
    row = await tokens.by_hash(hash_token(raw))
    now = utcnow()
    if row is None or row.expires_at <= now:
        raise unauthenticated("refresh_invalid", "登录已失效，请重新登录")
    if row.revoked_at is not None:
        raise unauthenticated("refresh_revoked", "登录已退出或被撤销，请重新登录")
    if row.used_at is not None:
        await tokens.revoke_family(row.family_id, now)
        await uow.commit()
        raise unauthenticated("refresh_reused", "检测到登录凭证被重复使用，为安全起见已退出全部相关登录，请重新登录")
    row.used_at = now
    account = await AccountRepository(uow.session).get(row.account_id)
    if account is None or account.status != "active":
        await tokens.revoke_family(row.family_id, now)
        await uow.commit()
        raise Problem(403, "account_disabled", "该账号已停用，请联系本单位系统管理员")
    try:
        return await start_session(uow, keyring, settings, account, methods=row.methods, agency_id=row.agency_id, family_id=row.family_id)
    except Problem:
        await tokens.revoke_family(row.family_id, now)
        await uow.commit()
        raise


async def end_session(uow: UnitOfWork, raw: str) -> None:
    """Logout: revoke the token's whole family. Unknown tokens are ignored (logout is idempotent)."""
    tokens = RefreshTokenRepository(uow.session)
    row = await tokens.by_hash(hash_token(raw))
    if row is not None:
        await tokens.revoke_family(row.family_id, utcnow())
