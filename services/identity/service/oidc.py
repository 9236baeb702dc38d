"""Officers sign in through the county's OpenID Connect provider: authorization code with PKCE (S256).

`begin` keeps a login state (state, nonce, verifier; ten minutes, once) and names the provider's
authorization URL. `finish` spends the state before anything else, exchanges the code with the
verifier and the client's credentials, and verifies the ID token (RS256 from the provider's key
set, iss, aud, azp, exp, nonce). Then either the provider's claims decide the officer's roles and
agency (`roles_claim`/`role_map`/`agency_claim`: the officer is created or updated and linked), or
the officer directory does, through the (issuer, sub) link an admin made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt

from services.identity.adapters.oidc import OidcClient
from services.identity.adapters.orm import Account, Officer, OidcLink, OidcLoginState
from services.identity.adapters.repository import AccountRepository, OfficerRepository
from services.identity.adapters.signin import OidcRepository
from services.identity.settings import IdentitySettings, OidcProvider
from shared.auth import OFFICER_ROLES, unauthenticated
from shared.contracts.identity import OfficerChanged, OfficerMembership
from shared.db import utcnow
from shared.errors import Problem
from shared.events import Actor
from shared.uow import UnitOfWork

STATE_TTL = timedelta(minutes=10)
CLOCK_SKEW_SECONDS = 60


def provider_named(settings: IdentitySettings, name: str) -> OidcProvider:
    for provider in settings.oidc_providers:
        if provider.name == name:
            return provider
    raise Problem(404, "oidc_provider_unknown", "没有这个单点登录提供方")


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def begin(uow: UnitOfWork, client: OidcClient, settings: IdentitySettings, name: str, redirect_uri: str) -> str:
    """Keep a login state and return the provider's authorization URL to send the browser to."""
    provider = provider_named(settings, name)
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise Problem(400, "redirect_uri_invalid", "回调地址必须是完整的 http(s) 地址")
    if provider.redirect_uris and redirect_uri not in provider.redirect_uris:
        raise Problem(400, "redirect_uri_not_allowed", "该回调地址未登记")
    doc = await client.discovery(provider)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    now = utcnow()
    OidcRepository(uow.session).add(
        OidcLoginState(
            state=state,
            provider=provider.name,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + STATE_TTL,
        )
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(provider.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = doc["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _refused(detail: str = "单点登录凭证无效，请重新登录") -> Problem:
    return unauthenticated("oidc_token_invalid", detail)


async def verify_id_token(client: OidcClient, provider: OidcProvider, doc: dict[str, Any], id_token: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims after OpenID Connect Core §3.1.3.7; 401 on any failure."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise _refused() from exc
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise _refused()
    key = await client.keys(doc["jwks_uri"]).key(header["kid"])
    if key is None:
        raise _refused()
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=provider.client_id,
            issuer=provider.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise _refused() from exc
    if "azp" in claims and claims["azp"] != provider.client_id:
        raise _refused()
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise _refused()
    return claims


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """A dotted path into the claims (`realm_access.roles`), None when any step is missing."""
    value: Any = claims
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def mapped_roles(provider: OidcProvider, claims: dict[str, Any]) -> set[str]:
    """The platform roles the provider's roles grant (Keycloak strings, Casdoor objects with `.name`)."""
    raw = claim_at(claims, provider.roles_claim or "")
    if isinstance(raw, (str, dict)):
        raw = [raw]
    names = [r.get("name") if isinstance(r, dict) else r for r in (raw or [])]
    if provider.role_map:
        roles = {provider.role_map[n] for n in names if isinstance(n, str) and n in provider.role_map}
    else:
        roles = {n for n in names if isinstance(n, str)}
    return {r for r in roles if r in {x.value for x in OFFICER_ROLES}}


def _display_name(claims: dict[str, Any]) -> str:
    for key in ("displayName", "name", "preferred_username", "email"):  # Casdoor: name is the login name
        if isinstance(claims.get(key), str) and claims[key].strip():
            return claims[key].strip()[:50]
    return str(claims["sub"])[:50]


async def _officer_from_claims(uow: UnitOfWork, provider: OidcProvider, claims: dict[str, Any]) -> tuple[Account, str]:
    """Create or update the officer the provider's claims describe, linked to (iss, sub)."""
    repo = OidcRepository(uow.session)
    roles = mapped_roles(provider, claims)
    agency_id = claim_at(claims, provider.agency_claim or "")
    if isinstance(agency_id, list) and len(agency_id) == 1:
        agency_id = agency_id[0]
    if not roles or not isinstance(agency_id, str) or not agency_id:
        raise Problem(403, "oidc_no_roles", "您在单点登录系统中没有本平台的角色或所属机关，请联系系统管理员")
    if not await repo.known_agency(agency_id):
        raise Problem(403, "oidc_agency_unknown", "单点登录系统给出的机关不在本平台的机关名录中，请联系系统管理员")
    name = _display_name(claims)
    email = claims.get("email") if isinstance(claims.get("email"), str) and claims.get("email_verified", True) else None
    accounts, officers = AccountRepository(uow.session), OfficerRepository(uow.session)
    link = await repo.link(provider.issuer, claims["sub"])
    account: Account | None
    officer: Officer | None
    if link is None:
        account = Account(kind="officer", display_name=name, status="active")
        accounts.add(account)
        await accounts.flush()
        officer = Officer(account_id=account.id, name=name, email=email, status="active")
        uow.session.add(officer)
        repo.add(OidcLink(issuer=provider.issuer, subject=claims["sub"], account_id=account.id))
        changed = True
    else:
        account = await accounts.get(link.account_id)
        officer = await officers.get(link.account_id)
        if account is None or officer is None:
            raise Problem(403, "account_disabled", "该工作人员已停用，请联系本单位系统管理员")
        before = (officer.name, officer.email, {(r.agency_id, r.role) for r in await officers.roles(account.id)})
        changed = before != (name, email, {(agency_id, r) for r in roles})
        if changed:
            officer.name, officer.email = name, email
            officer.updated_at = utcnow()  # the row changes, so its version moves, even when only roles did
            account.display_name = name
    if changed:
        await uow.session.flush()
        await officers.replace_roles(account.id, {agency_id: sorted(roles)})
        event = OfficerChanged(
            officer_id=account.id,
            name=officer.name,
            status=officer.status,
            email=officer.email,
            mobile=officer.mobile,
            version=officer.version,
            memberships=[OfficerMembership(agency_id=agency_id, roles=sorted(roles))],
        )
        uow.emit(
            event.topic,
            event.envelope(source="identity", aggregate_id=account.id, agency_id=agency_id, actor=Actor.system(f"oidc:{provider.name}")),
        )
    return account, agency_id


async def finish(
    uow: UnitOfWork, client: OidcClient, settings: IdentitySettings, name: str, *, code: str, state: str
) -> tuple[Account, str | None]:
    """Spend the state, exchange the code, verify the ID token, find or make the officer."""
    provider = provider_named(settings, name)
    repo = OidcRepository(uow.session)
    row = await repo.state(state)
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now or row.provider != provider.name:
        raise Problem(400, "oidc_state_invalid", "登录请求已失效或已使用，请重新登录")
    row.used_at = now
    await uow.commit()  # spent whatever follows: a state, like the code, is good for one try
    doc = await client.discovery(provider)
    tokens = await client.exchange(provider, doc, code=code, redirect_uri=row.redirect_uri, code_verifier=row.code_verifier)
    claims = await verify_id_token(client, provider, doc, tokens["id_token"], row.nonce)
    if provider.maps_claims:
        return await _officer_from_claims(uow, provider, claims)
    link = await repo.link(provider.issuer, claims["sub"])
    account = await AccountRepository(uow.session).get(link.account_id) if link else None
    if account is None or account.kind != "officer":
        raise Problem(403, "oidc_not_linked", "该单点登录账号尚未登记为本平台工作人员，请联系系统管理员")
    return account, None
