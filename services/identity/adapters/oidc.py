"""Talking to OpenID Connect providers: discovery (cached), the token endpoint, the key set (cached)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx

from services.identity.settings import OidcProvider
from shared.auth import JwksCache
from shared.errors import Problem

log = logging.getLogger(__name__)

DISCOVERY_TTL = 3600.0


def _unavailable() -> Problem:
    return Problem(502, "oidc_provider_unavailable", "单点登录系统暂时无法访问，请稍后再试")


class OidcClient:
    """One per process: discovery documents and key sets by issuer, fetched asynchronously."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._discovery: dict[str, tuple[float, dict[str, Any]]] = {}
        self._jwks: dict[str, JwksCache] = {}
        self._lock = asyncio.Lock()

    async def discovery(self, provider: OidcProvider) -> dict[str, Any]:
        cached = self._discovery.get(provider.issuer)
        if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
            return cached[1]
        async with self._lock:
            url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    resp = await client.get(url)
                    resp.raise_for_status()
                    doc = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("cannot fetch the discovery document %s: %r", url, exc)
                if cached:
                    return cached[1]
                raise _unavailable() from exc
            # OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one configured.
            if (
                not isinstance(doc, dict)
                or doc.get("issuer") != provider.issuer
                or not all(isinstance(doc.get(k), str) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri"))
            ):
                log.error("discovery document of %s does not match the configured issuer or lacks endpoints", provider.name)
                raise _unavailable()
            self._discovery[provider.issuer] = (time.monotonic(), doc)
            return doc

    def keys(self, jwks_uri: str) -> JwksCache:
        if jwks_uri not in self._jwks:
            self._jwks[jwks_uri] = JwksCache(jwks_uri, timeout=self.timeout)
        return self._jwks[jwks_uri]

    async def exchange(
        self, provider: OidcProvider, doc: dict[str, Any], *, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        """The token response for an authorization code; 400 when the provider refuses the code."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier}
        auth: httpx.BasicAuth | None = None
        if provider.client_secret is None:
            form["client_id"] = provider.client_id  # a public client: PKCE alone
        else:
            methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
            secret = provider.client_secret.get_secret_value()
            if "client_secret_basic" in methods:
                auth = httpx.BasicAuth(provider.client_id, secret)
            else:
                form |= {"client_id": provider.client_id, "client_secret": secret}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, auth=auth) as client:
                resp = await client.post(doc["token_endpoint"], data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            log.warning("token endpoint of %s unreachable: %r", provider.name, exc)
            raise _unavailable() from exc
        if 400 <= resp.status_code < 500:
            try:
                error = resp.json().get("error")
            except ValueError:
                error = None
            log.info("provider %s refused the code: %s %s", provider.name, resp.status_code, error)
            raise Problem(400, "oidc_code_rejected", "单点登录系统未接受本次登录，请重新登录", provider_error=error)
        if resp.status_code != 200:
            raise _unavailable()
        try:
            body = resp.json()
        except ValueError as exc:
            raise _unavailable() from exc
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            log.warning("token response of %s has no id_token", provider.name)
            raise _unavailable()
        return body
