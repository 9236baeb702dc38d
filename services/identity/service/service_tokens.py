"""Tokens for the platform's other services: the OAuth 2.0 client credentials grant (RFC 6749 §4.4).

A service (notify fetching a notice's PDF from requests, say) authenticates with the client id and
secret it shares with identity (`IDENTITY_SERVICE_CLIENTS`) and gets a short-lived access token of
role `service`, signed by the same key ring, issuer and audience as everyone else's, so every
service verifies it as it verifies any token and opens to it only the routes that name the role.
No refresh token and nothing stored: when it expires the service asks again.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass

from services.identity.service.keys import KeyRing
from services.identity.service.sessions import token_claims
from services.identity.settings import IdentitySettings
from shared.auth import Role
from shared.errors import Problem

log = logging.getLogger(__name__)

GRANT_TYPE = "client_credentials"
SUB_PREFIX = "service:"
# Compared against when the client is unknown, so that an unknown id costs the same as a wrong secret.
_NO_SECRET = secrets.token_urlsafe(32).encode()


@dataclass(frozen=True)
class ServiceToken:
    access_token: str
    expires_in: int


def invalid_client() -> Problem:
    """RFC 6749 §5.2 `invalid_client`: a 401 with the Basic challenge of the token endpoint."""
    return Problem(401, "invalid_client", "客户端认证失败", headers={"WWW-Authenticate": 'Basic realm="gov-disclosure"'})


def authenticate_client(settings: IdentitySettings, client_id: str | None, *client_secrets: str | None) -> str:
    """The configured client whose secret is one of `client_secrets` (the readings of what the caller
    sent); 401 `invalid_client` otherwise. Secrets are compared in constant time."""
    candidates = [s for s in dict.fromkeys(client_secrets) if s]
    if not client_id or not candidates:
        raise invalid_client()
    expected = settings.service_clients.get(client_id)
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a caller may send anything.
    wanted = expected.get_secret_value().encode() if expected else _NO_SECRET
    matches = False
    for candidate in candidates:
        matches |= hmac.compare_digest(candidate.encode(), wanted)
    if expected is None or not matches:
        log.warning("service client authentication failed for client_id %r", client_id[:64])
        raise invalid_client()
    return client_id


def issue_service_token(keyring: KeyRing, settings: IdentitySettings, client_id: str) -> ServiceToken:
    """An access token for an authenticated client: role `service`, no agency, no refresh token."""
    ttl = settings.service_token_ttl_seconds
    claims = token_claims(settings, sub=SUB_PREFIX + client_id, roles=[Role.service.value], kind="service", ttl_seconds=ttl)
    claims["client_id"] = client_id
    return ServiceToken(keyring.sign(claims), ttl)
