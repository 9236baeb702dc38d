"""A local OpenID Connect provider for tests: a Keycloak realm and a Casdoor instance on one server.

Speaks the real protocol: discovery, a JWKS, /authorize returning a code bound to the PKCE
challenge, and a token endpoint that checks the client's credentials, the redirect URI and the
code verifier before issuing an RS256 ID token with the nonce.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

CLIENT_ID = "gov-disclosure"
CLIENT_SECRET = "county-sso-secret"

# (path prefix, authorization, token, jwks, auth methods) as each product lays them out.
LAYOUTS = {
    "keycloak": (
        "/realms/county",
        "/protocol/openid-connect/auth",
        "/protocol/openid-connect/token",
        "/protocol/openid-connect/certs",
        ["client_secret_basic", "client_secret_post"],
    ),
    "casdoor": ("/casdoor", "/login/oauth/authorize", "/api/login/oauth/access_token", "/.well-known/jwks", ["client_secret_post"]),
}


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class FakeProvider:
    base: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    kid: str = "county-key-1"
    user: dict[str, dict[str, Any]] = field(default_factory=dict)  # claims of who signs in next, per product
    tamper: dict[str, Any] = field(default_factory=dict)  # claims to override in the next ID token
    sign_with: Any = None  # another key, same kid: a forged signature
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    discovery_hits: int = 0
    token_refusals: list[str] = field(default_factory=list)

    def issuer(self, product: str) -> str:
        return self.base + LAYOUTS[product][0]

    def app(self) -> FastAPI:
        app = FastAPI()
        for product in LAYOUTS:
            self._routes(app, product)
        return app

    def _routes(self, app: FastAPI, product: str) -> None:
        prefix, auth_path, token_path, jwks_path, methods = LAYOUTS[product]

        @app.get(prefix + "/.well-known/openid-configuration")
        async def discovery() -> dict:
            self.discovery_hits += 1
            iss = self.issuer(product)
            return {
                "issuer": iss,
                "authorization_endpoint": iss + auth_path,
                "token_endpoint": iss + token_path,
                "jwks_uri": iss + jwks_path,
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": methods,
            }

        @app.get(prefix + jwks_path)
        async def jwks() -> dict:
            pub = self.key.public_key().public_numbers()
            return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": _b64(pub.n), "e": _b64(pub.e)}]}

        @app.get(prefix + auth_path)
        async def authorize(request: Request):
            q = request.query_params
            if (
                q.get("client_id") != CLIENT_ID
                or q.get("response_type") != "code"
                or q.get("code_challenge_method") != "S256"
                or not q.get("code_challenge")
                or "openid" not in q.get("scope", "").split()
            ):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": q["code_challenge"],
                "nonce": q.get("nonce"),
                "redirect_uri": q["redirect_uri"],
                "product": product,
                "claims": dict(self.user[product]),
                "used": False,
            }
            return RedirectResponse(q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]}), status_code=302)

        @app.post(prefix + token_path)
        async def token(
            request: Request,
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            code_verifier: str = Form(),
            client_id: str | None = Form(None),
            client_secret: str | None = Form(None),
        ):
            basic = request.headers.get("authorization", "")
            if basic.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
                self.token_refusals.append("invalid_client")
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.codes.get(code)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
            if (
                grant_type != "authorization_code"
                or grant is None
                or grant["used"]
                or grant["product"] != product
                or grant["redirect_uri"] != redirect_uri
                or challenge != grant["challenge"]
            ):
                self.token_refusals.append("invalid_grant")
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verification failed"}, status_code=400)
            grant["used"] = True
            now = int(time.time())
            claims = {
                "iss": self.issuer(product),
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                **grant["claims"],
            }
            if product == "casdoor":
                claims["azp"] = CLIENT_ID
            claims.update(self.tamper)
            id_token = jwt.encode(claims, self.sign_with or self.key, algorithm="RS256", headers={"kid": self.kid})
            return {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
                "scope": "openid profile email",
            }


def keycloak_claims(sub: str, roles: list[str], agency: str = "county", name: str = "张承办") -> dict[str, Any]:
    return {
        "sub": sub,
        "typ": "ID",
        "azp": CLIENT_ID,
        "name": name,
        "preferred_username": "zhang",
        "email": "zhang@county.gov.cn",
        "email_verified": True,
        "realm_access": {"roles": [*roles, "offline_access", "uma_authorization"]},
        "agency_id": agency,
    }


def casdoor_claims(sub: str, roles: list[str], agency: str = "county", name: str = "李审查") -> dict[str, Any]:
    return {
        "sub": sub,
        "owner": agency,
        "name": "li",
        "displayName": name,
        "email": "li@county.gov.cn",
        "roles": [{"owner": agency, "name": r, "displayName": r, "isEnabled": True} for r in roles],
        "tag": "staff",
        "type": "normal-user",
    }
