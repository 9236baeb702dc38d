"""The public key set and the OpenID Connect discovery document (public: every service reads them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.identity.api.deps import Keys, Settings

router = APIRouter(tags=["公钥与发现"])


@router.get("/.well-known/jwks.json", summary="签名公钥集（公开）")
async def jwks(keys: Keys) -> JSONResponse:
    # Short cache: a verifier that sees an unknown kid refetches anyway.
    return JSONResponse(keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/openid-configuration", summary="OpenID Connect 发现文档（公开）")
async def discovery(settings: Settings) -> dict[str, Any]:
    base = settings.issuer
    api = f"{base}/api/v1/identity"
    return {
        "issuer": base,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{api}/token/refresh",
        "revocation_endpoint": f"{api}/logout",
        "userinfo_endpoint": f"{api}/me",
        "response_types_supported": ["token"],
        "grant_types_supported": ["refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["sub", "roles", "agency_id", "name", "kind", "amr", "iss", "aud", "exp", "iat", "jti"],
    }
